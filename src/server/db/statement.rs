//! Statements assembled from optional filters, with their bound values.
//!
//! sqlx's `QueryBuilder` writes `?` placeholders for the `Any` driver, which PostgreSQL rejects; this
//! small builder writes `$1, $2, ...`, which SQLite and PostgreSQL both accept, and otherwise keeps
//! `QueryBuilder`'s names so the call sites read the same.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Arguments, Encode, FromRow, Type};

#[derive(Default)]
pub struct Statement<'q> {
    sql: String,
    args: AnyArguments<'q>,
}

impl<'q> Statement<'q> {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: AnyArguments::default(),
        }
    }

    /// Appends SQL text as is (never user input: that goes through `push_bind`).
    pub fn push(&mut self, sql: impl AsRef<str>) -> &mut Self {
        self.sql.push_str(sql.as_ref());
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        // Encoding text, integers and timestamps into the Any driver's buffer cannot fail.
        self.args.add(value).expect("a bound value encodes");
        write!(self.sql, "${}", self.args.len()).expect("writing to a String cannot fail");
        self
    }

    /// Appends `$n, $n+1, ...`, one placeholder per value.
    pub fn push_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    #[cfg(test)]
    fn sql(&self) -> &str {
        &self.sql
    }

    pub fn build(&mut self) -> Query<'_, Any, AnyArguments<'_>> {
        let args: AnyArguments<'_> = std::mem::take(&mut self.args);
        sqlx::query_with(&self.sql, args)
    }

    pub fn build_query_as<O>(&mut self) -> QueryAs<'_, Any, O, AnyArguments<'_>>
    where
        O: for<'r> FromRow<'r, AnyRow>,
    {
        let args: AnyArguments<'_> = std::mem::take(&mut self.args);
        sqlx::query_as_with(&self.sql, args)
    }

    pub fn build_query_scalar<O>(&mut self) -> QueryScalar<'_, Any, O, AnyArguments<'_>>
    where
        (O,): for<'r> FromRow<'r, AnyRow>,
    {
        let args: AnyArguments<'_> = std::mem::take(&mut self.args);
        sqlx::query_scalar_with(&self.sql, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut s = Statement::new("SELECT 1 FROM t WHERE a = ");
        s.push_bind("x").push(" AND b IN (").push_list([1_i64, 2, 3]).push(")");
        assert_eq!(s.sql(), "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3, $4)");
    }
}
