//! Typed ids: one newtype per table over its UUID, so a story's id cannot be
//! passed where a claim's is expected. They are stored, serialised (a plain
//! UUID string) and parsed (from a URL path or a form) exactly like the UUID
//! they wrap; the diesel mapping is derived, as for the domain enums.

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Uuid as SqlUuid;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = SqlUuid)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random id for a new row.
            pub fn new_v4() -> Self {
                $name(Uuid::new_v4())
            }

            /// Names the row with this UUID (read from a trusted place: the
            /// database, another typed id's row, a test).
            pub const fn from_uuid(id: Uuid) -> Self {
                $name(id)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl ToSql<SqlUuid, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <Uuid as ToSql<SqlUuid, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<SqlUuid, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                <Uuid as FromSql<SqlUuid, Pg>>::from_sql(bytes).map($name)
            }
        }
    };
}

id_type!(
    /// A claim (`claims.id`).
    ClaimId
);
id_type!(
    /// A story (`stories.id`).
    StoryId
);
id_type!(
    /// A source, the person or body who made claims (`sources.id`).
    SourceId
);
id_type!(
    /// An account (`users.id`).
    UserId
);
id_type!(
    /// An entry of a claim's history (`claim_history.id`).
    HistoryId
);
id_type!(
    /// An evidence link (`evidence.id`).
    EvidenceId
);
id_type!(
    /// A CSV import awaiting or past confirmation (`imports.id`).
    ImportId
);
id_type!(
    /// A personal API token (`api_tokens.id`).
    TokenId
);
id_type!(
    /// One figure of a claim (`claim_figures.id`).
    FigureId
);
id_type!(
    /// A typed link between two claims (`claim_links.id`).
    LinkId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_their_uuid() {
        let raw = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let id: ClaimId = raw.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.to_string(), raw);
        assert_eq!(serde_json::to_value(id).ok(), Some(serde_json::json!(raw)));
        let back: Option<ClaimId> = serde_json::from_value(serde_json::json!(raw)).ok();
        assert_eq!(back, Some(id));
        assert!("not-a-uuid".parse::<StoryId>().is_err());
        assert!(serde_json::from_value::<SourceId>(serde_json::json!("42")).is_err());
    }
}
