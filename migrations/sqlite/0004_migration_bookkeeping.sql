-- The PostgreSQL migration of the same version grants the service role UPDATE on `_sqlx_migrations`; SQLite has
-- no roles, so this version only keeps both backends' version lists equal.
SELECT 1;
