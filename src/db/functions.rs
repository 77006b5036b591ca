//! SQL functions the migrations define, callable from diesel queries.

diesel::define_sql_function! {
    /// Whether a live `contradicts` link joins the claim to one not judged
    /// false (migration 2024-12-13-000003).
    fn claim_is_contested(claim: diesel::sql_types::Uuid) -> diesel::sql_types::Bool;
}
