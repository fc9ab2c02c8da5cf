import PostgresNIO
import TallyTestSupport

/// A database's schema as PostgreSQL's catalogue describes it, object by object, to compare
/// two databases: tables and columns, constraints, indexes, sequences, triggers, functions,
/// comments, extensions, and what `tally migrate` recorded. Partitions are left out (their
/// columns, constraints and indexes are the parent's): which months of scans have one depends
/// on when the database was migrated, and a test database is copied from a template that may
/// be older than this month.
struct SchemaCatalogue: Equatable {
    var parts: [String: [String]] = [:]

    static let queries: [String: String] = [
        "columns": """
        SELECT c.relname || '.' || a.attname || ' #' || a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
        """,
        "constraints": """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
               || ' validated=' || convalidated || ' deferrable=' || condeferrable
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = conrelid AND r.relispartition)
        """,
        "indexes":
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition",
        "sequences": "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'S'",
        "triggers": """
        SELECT pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text FROM pg_trigger t
        WHERE NOT t.tgisinternal AND t.tgfoid::regproc::text NOT LIKE 'citus%' -- Citus's own, on its tables
          AND t.tgrelid::regclass::text !~ '_[0-9]{6,}$' -- a shard Citus keeps here for a coordinator table keyed to a reference table (staff_audit)
        """,
        "functions": """
        SELECT pg_get_functiondef(p.oid) FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        """,
        // Objects made by the database (not copied from template1) have oids from 16384.
        "comments":
            "SELECT pg_describe_object(classoid, objoid, objsubid) || ': ' || description FROM pg_description WHERE objoid >= 16384",
        "extensions": "SELECT extname || ' ' || extversion FROM pg_extension",
        "migrations": "SELECT version || ' ' || name || ' ' || checksum FROM schema_migrations",
        "function files": "SELECT name || ' ' || checksum FROM schema_functions",
    ]

    static func of(_ client: PostgresClient) async throws -> SchemaCatalogue {
        var catalogue = SchemaCatalogue()
        for (part, sql) in queries {
            var rows: [String] = []
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String.self) {
                rows.append(row)
            }
            catalogue.parts[part] = rows.sorted()
        }
        return catalogue
    }
}
