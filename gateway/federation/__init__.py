"""The /sql surface: parse (sqlglot), push down per source, join in embedded DuckDB."""
