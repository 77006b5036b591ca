// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "audit_action"))]
    pub struct AuditAction;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "audit_object_type"))]
    pub struct AuditObjectType;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "claim_status"))]
    pub struct ClaimStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "figure_date_precision"))]
    pub struct FigureDatePrecision;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "figure_qualifier"))]
    pub struct FigureQualifier;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "history_action"))]
    pub struct HistoryAction;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "link_kind"))]
    pub struct LinkKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "source_grade"))]
    pub struct SourceGrade;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "source_type"))]
    pub struct SourceType;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;
}

diesel::table! {
    api_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AuditAction;
    use super::sql_types::AuditObjectType;

    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        action -> AuditAction,
        object_type -> AuditObjectType,
        object_id -> Nullable<Uuid>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
    }
}

diesel::table! {
    claim_chain (claim_id, position) {
        claim_id -> Uuid,
        position -> Int4,
        source_id -> Uuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::FigureQualifier;
    use super::sql_types::FigureDatePrecision;

    claim_figures (id) {
        id -> Uuid,
        claim_id -> Uuid,
        label -> Text,
        value_min -> Nullable<Int8>,
        value_max -> Nullable<Int8>,
        as_of -> Nullable<Date>,
        position -> Int4,
        unit -> Nullable<Text>,
        qualifier -> FigureQualifier,
        value -> Nullable<Int8>,
        word -> Nullable<Text>,
        as_of_precision -> Nullable<FigureDatePrecision>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::HistoryAction;
    use super::sql_types::ClaimStatus;

    claim_history (id) {
        id -> Uuid,
        claim_id -> Uuid,
        action -> HistoryAction,
        from_status -> Nullable<ClaimStatus>,
        to_status -> Nullable<ClaimStatus>,
        reason -> Nullable<Text>,
        changes -> Nullable<Jsonb>,
        actor_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        imported_actor_name -> Nullable<Text>,
        imported_actor_email -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::LinkKind;

    claim_links (id) {
        id -> Uuid,
        from_claim_id -> Uuid,
        to_claim_id -> Uuid,
        kind -> LinkKind,
        note -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        accepted_by -> Nullable<Uuid>,
        accepted_at -> Nullable<Timestamptz>,
        removed_by -> Nullable<Uuid>,
        removed_at -> Nullable<Timestamptz>,
        removed_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ClaimStatus;

    claims (id) {
        id -> Uuid,
        story_id -> Uuid,
        source_id -> Uuid,
        quote -> Text,
        is_paraphrase -> Bool,
        summary -> Nullable<Text>,
        claimed_at -> Nullable<Timestamptz>,
        claimed_where -> Nullable<Text>,
        status -> ClaimStatus,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        review_url -> Nullable<Text>,
        version_xact -> Nullable<Int8>,
    }
}

diesel::table! {
    evidence (id) {
        id -> Uuid,
        claim_id -> Uuid,
        history_id -> Nullable<Uuid>,
        url -> Text,
        created_at -> Timestamptz,
        position -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ClaimStatus;

    import_rows (import_id, kind, n) {
        import_id -> Uuid,
        kind -> Text,
        n -> Int4,
        line -> Int8,
        reason -> Nullable<Text>,
        story_title -> Nullable<Text>,
        source_name -> Nullable<Text>,
        quote -> Nullable<Text>,
        status -> Nullable<ClaimStatus>,
        details -> Nullable<Jsonb>,
    }
}

diesel::table! {
    imports (id) {
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        filename -> Text,
        content -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        confirmed_at -> Nullable<Timestamptz>,
        created -> Nullable<Int4>,
        skipped -> Nullable<Int4>,
        content_kept -> Bool,
        previewed_at -> Nullable<Timestamptz>,
        file_error -> Nullable<Text>,
        n_create -> Int4,
        n_duplicate -> Int4,
        n_invalid -> Int4,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        client -> Text,
        user_id -> Nullable<Uuid>,
        at -> Timestamptz,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Uuid,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::SourceGrade;

    source_grade_history (id) {
        id -> Uuid,
        source_id -> Uuid,
        from_grade -> Nullable<SourceGrade>,
        to_grade -> SourceGrade,
        reason -> Text,
        actor_id -> Nullable<Uuid>,
        actor_name -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    source_names (name_key) {
        name_key -> Text,
        source_id -> Uuid,
        name -> Text,
        is_alias -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::SourceType;
    use super::sql_types::SourceGrade;

    sources (id) {
        id -> Uuid,
        name -> Text,
        source_type -> SourceType,
        affiliation -> Nullable<Text>,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        grade -> Nullable<SourceGrade>,
        merged_into -> Nullable<Uuid>,
        merged_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    stories (id) {
        id -> Uuid,
        title -> Text,
        outlet -> Text,
        url -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        dateline -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        role -> UserRole,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamptz>,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(claim_chain -> claims (claim_id));
diesel::joinable!(claim_chain -> sources (source_id));
diesel::joinable!(claim_figures -> claims (claim_id));
diesel::joinable!(claim_history -> claims (claim_id));
diesel::joinable!(claim_history -> users (actor_id));
diesel::joinable!(claims -> sources (source_id));
diesel::joinable!(claims -> stories (story_id));
diesel::joinable!(evidence -> claim_history (history_id));
diesel::joinable!(evidence -> claims (claim_id));
diesel::joinable!(import_rows -> imports (import_id));
diesel::joinable!(imports -> users (user_id));
diesel::joinable!(login_failures -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(source_grade_history -> sources (source_id));
diesel::joinable!(source_grade_history -> users (actor_id));
diesel::joinable!(source_names -> sources (source_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_log,
    claim_chain,
    claim_figures,
    claim_history,
    claim_links,
    claims,
    evidence,
    import_rows,
    imports,
    login_failures,
    sessions,
    source_grade_history,
    source_names,
    sources,
    stories,
    users,
);
