//! Decoding rows and binding values in code written once for both backends.
//!
//! Inside [`crate::on_pool!`] each arm is concrete, so plain `sqlx` calls work there. Helpers that are called
//! from both arms — a function turning a row into a struct, a filter adding its binds to a query — are
//! generic over [`DbRow`] or [`Bind`], whose bounds say "decodes (encodes) on both backends".

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{ColumnIndex, Decode, Encode, Postgres, Sqlite, Type};

/// A type both backends decode.
pub trait Value:
    for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}
impl<T> Value for T where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

/// A column index (a name or a position) both backends' rows accept.
pub trait ColIndex: ColumnIndex<PgRow> + ColumnIndex<SqliteRow> {}
impl<I> ColIndex for I where I: ColumnIndex<PgRow> + ColumnIndex<SqliteRow> {}

/// A row of either backend. `try_get` has the same shape as `sqlx::Row::try_get`, so decoding code reads
/// the same as with a concrete row.
pub trait DbRow {
    fn try_get<T: Value, I: ColIndex>(&self, index: I) -> Result<T, sqlx::Error>;
}

impl DbRow for PgRow {
    fn try_get<T: Value, I: ColIndex>(&self, index: I) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, index)
    }
}

impl DbRow for SqliteRow {
    fn try_get<T: Value, I: ColIndex>(&self, index: I) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, index)
    }
}

/// A type both backends encode.
pub trait Arg<'q>:
    Encode<'q, Postgres> + Type<Postgres> + Encode<'q, Sqlite> + Type<Sqlite> + Send + 'q
{
}
impl<'q, T> Arg<'q> for T where
    T: Encode<'q, Postgres> + Type<Postgres> + Encode<'q, Sqlite> + Type<Sqlite> + Send + 'q
{
}

/// A query of either backend that values can be bound to, in order.
pub trait Bind<'q>: Sized {
    fn bind<T: Arg<'q>>(self, value: T) -> Self;
}

macro_rules! impl_bind {
    ($($ty:ty),* $(,)?) => {$(
        impl<'q> Bind<'q> for $ty {
            fn bind<T: Arg<'q>>(self, value: T) -> Self {
                <$ty>::bind(self, value)
            }
        }
    )*};
}

impl_bind!(
    Query<'q, Postgres, PgArguments>,
    Query<'q, Sqlite, SqliteArguments<'q>>,
);

impl<'q, O> Bind<'q> for QueryAs<'q, Postgres, O, PgArguments> {
    fn bind<T: Arg<'q>>(self, value: T) -> Self {
        QueryAs::bind(self, value)
    }
}

impl<'q, O> Bind<'q> for QueryAs<'q, Sqlite, O, SqliteArguments<'q>> {
    fn bind<T: Arg<'q>>(self, value: T) -> Self {
        QueryAs::bind(self, value)
    }
}

impl<'q, O> Bind<'q> for QueryScalar<'q, Postgres, O, PgArguments> {
    fn bind<T: Arg<'q>>(self, value: T) -> Self {
        QueryScalar::bind(self, value)
    }
}

impl<'q, O> Bind<'q> for QueryScalar<'q, Sqlite, O, SqliteArguments<'q>> {
    fn bind<T: Arg<'q>>(self, value: T) -> Self {
        QueryScalar::bind(self, value)
    }
}
