//! Statements over any backend: [`Sql`] supplies the plain binds, decodes and executions sqlx offers every
//! database (proved once, in its blanket implementation, for whichever backend is used), [`Param`] and
//! [`Column`] route each Rust type to the right bind or decode, and [`Stmt`] chains them like `sqlx::query`.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use super::Backend;
use crate::{StoreError, db_error};

/// A query on backend `B`'s database, as `sqlx::query` builds it.
pub(crate) type Query<'q, B> =
    sqlx::query::Query<'q, <B as Backend>::Db, <<B as Backend>::Db as Database>::Arguments<'q>>;
/// A connection of backend `B`.
pub(crate) type Conn<B> = <<B as Backend>::Db as Database>::Connection;
/// A result row of backend `B`.
pub(crate) type DbRow<B> = <<B as Backend>::Db as Database>::Row;

type Fut<'e, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'e>>;

/// The operations every sqlx database has, for a backend whose database has them. Generic code asks for
/// `B: Sql` and never repeats sqlx's bounds.
pub(crate) trait Sql: Backend {
    fn bind_int(query: Query<'_, Self>, value: Option<i64>) -> Query<'_, Self>;
    fn bind_text<'q>(query: Query<'q, Self>, value: Option<&'q str>) -> Query<'q, Self>;
    fn bind_bytes<'q>(query: Query<'q, Self>, value: &'q [u8]) -> Query<'q, Self>;
    fn get_int(row: &DbRow<Self>, column: &str) -> Result<Option<i64>, StoreError>;
    fn get_text(row: &DbRow<Self>, column: &str) -> Result<Option<String>, StoreError>;
    fn get_bytes(row: &DbRow<Self>, column: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn fetch_all<'e, 'q: 'e>(
        conn: &'e mut Conn<Self>,
        q: Query<'q, Self>,
    ) -> Fut<'e, Vec<DbRow<Self>>>;
    fn fetch_optional<'e, 'q: 'e>(
        conn: &'e mut Conn<Self>,
        q: Query<'q, Self>,
    ) -> Fut<'e, Option<DbRow<Self>>>;
    fn execute<'e, 'q: 'e>(conn: &'e mut Conn<Self>, q: Query<'q, Self>) -> Fut<'e, ()>;
}

impl<B> Sql for B
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> <B::Db as Database>::Arguments<'q>: IntoArguments<'q, B::Db>,
    for<'q> Option<i64>: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> i64: Decode<'q, B::Db> + Type<B::Db>,
    for<'q> Option<&'q str>: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> String: Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> Vec<u8>: Decode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q str: ColumnIndex<DbRow<B>>,
{
    fn bind_int(query: Query<'_, Self>, value: Option<i64>) -> Query<'_, Self> {
        query.bind(value)
    }
    fn bind_text<'q>(query: Query<'q, Self>, value: Option<&'q str>) -> Query<'q, Self> {
        query.bind(value)
    }
    fn bind_bytes<'q>(query: Query<'q, Self>, value: &'q [u8]) -> Query<'q, Self> {
        query.bind(value)
    }
    fn get_int(row: &DbRow<Self>, column: &str) -> Result<Option<i64>, StoreError> {
        row.try_get(column).map_err(db_error::map)
    }
    fn get_text(row: &DbRow<Self>, column: &str) -> Result<Option<String>, StoreError> {
        row.try_get(column).map_err(db_error::map)
    }
    fn get_bytes(row: &DbRow<Self>, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        row.try_get(column).map_err(db_error::map)
    }
    fn fetch_all<'e, 'q: 'e>(
        conn: &'e mut Conn<Self>,
        q: Query<'q, Self>,
    ) -> Fut<'e, Vec<DbRow<Self>>> {
        conn.fetch_all(q)
    }
    fn fetch_optional<'e, 'q: 'e>(
        conn: &'e mut Conn<Self>,
        q: Query<'q, Self>,
    ) -> Fut<'e, Option<DbRow<Self>>> {
        conn.fetch_optional(q)
    }
    fn execute<'e, 'q: 'e>(conn: &'e mut Conn<Self>, q: Query<'q, Self>) -> Fut<'e, ()> {
        let done = conn.execute(q);
        Box::pin(async move { done.await.map(|_| ()) })
    }
}

/// A value that can be bound as a parameter on any backend.
pub(crate) trait Param<'q> {
    fn bind<B: Sql>(self, query: Query<'q, B>) -> Query<'q, B>;
}

/// Implements [`Param`] for a type and its `Option`, through one of the bind functions.
macro_rules! param {
    ($t:ty, $via:ident, |$v:ident| $some:expr) => {
        impl<'q> Param<'q> for $t {
            fn bind<B: Sql>(self, query: Query<'q, B>) -> Query<'q, B> {
                let $v = self;
                B::$via(query, Some($some))
            }
        }
        impl<'q> Param<'q> for Option<$t> {
            fn bind<B: Sql>(self, query: Query<'q, B>) -> Query<'q, B> {
                B::$via(query, self.map(|$v| $some))
            }
        }
    };
}
param!(i64, bind_int, |v| v);
param!(&'q str, bind_text, |v| v);
param!(Uuid, bind_uuid, |v| v);
param!(DateTime<Utc>, bind_time, |v| v);
param!(&'q Value, bind_json, |v| v);

impl<'q> Param<'q> for &'q [u8] {
    fn bind<B: Sql>(self, query: Query<'q, B>) -> Query<'q, B> {
        B::bind_bytes(query, self)
    }
}

/// A value that can be read from a column on any backend; a NULL where a value is required is corrupt data.
pub(crate) trait Column: Sized {
    fn get<B: Sql>(row: &DbRow<B>, column: &str) -> Result<Self, StoreError>;
}

/// Implements [`Column`] for a type and its `Option`, through one of the get functions.
macro_rules! column {
    ($t:ty, $via:ident) => {
        impl Column for Option<$t> {
            fn get<B: Sql>(row: &DbRow<B>, column: &str) -> Result<Self, StoreError> {
                B::$via(row, column)
            }
        }
        impl Column for $t {
            fn get<B: Sql>(row: &DbRow<B>, column: &str) -> Result<Self, StoreError> {
                B::$via(row, column)?
                    .ok_or_else(|| StoreError::Corrupt(format!("`{column}` is NULL")))
            }
        }
    };
}
column!(i64, get_int);
column!(String, get_text);
column!(Vec<u8>, get_bytes);
column!(Uuid, get_uuid);
column!(DateTime<Utc>, get_time);
column!(Value, get_json);

/// Reads one column of a row.
pub(crate) fn get<B: Sql, T: Column>(row: &DbRow<B>, column: &str) -> Result<T, StoreError> {
    T::get::<B>(row, column)
}

/// A statement being built: `stmt::<B>(sql).bind(a).bind(b).all(conn)`.
pub(crate) struct Stmt<'q, B: Backend>(Query<'q, B>);

pub(crate) fn stmt<B: Sql>(sql: &str) -> Stmt<'_, B> {
    Stmt(sqlx::query(sql))
}

impl<'q, B: Sql> Stmt<'q, B> {
    /// Not kept as a prepared statement: PostgreSQL plans it for the values bound each time (an unnamed
    /// statement always gets a custom plan). For statements whose bounds change the best plan, such as
    /// `read_all`'s page bounds, where a cached generic plan scans the whole table; every other statement is
    /// prepared once per connection and may run a cached plan.
    pub fn planned_each_time(self) -> Self {
        Stmt(self.0.persistent(false))
    }

    pub fn bind(self, value: impl Param<'q>) -> Self {
        Stmt(value.bind::<B>(self.0))
    }

    pub async fn all(self, conn: &mut Conn<B>) -> Result<Vec<DbRow<B>>, sqlx::Error> {
        B::fetch_all(conn, self.0).await
    }

    pub async fn optional(self, conn: &mut Conn<B>) -> Result<Option<DbRow<B>>, sqlx::Error> {
        B::fetch_optional(conn, self.0).await
    }

    pub async fn one(self, conn: &mut Conn<B>) -> Result<DbRow<B>, sqlx::Error> {
        self.optional(conn).await?.ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn run(self, conn: &mut Conn<B>) -> Result<(), sqlx::Error> {
        B::execute(conn, self.0).await
    }
}
