import Testing

@testable import TallyCore

@Suite("Splitting SQL files into statements")
struct SQLScriptTests {
    @Test("semicolons in strings, identifiers, dollar quotes and comments do not split")
    func quoting() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE "odd;name" (x text DEFAULT 'a;b''c');
            /* block; comment */
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'no; way'; END;
            $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT $1;
            """
        let statements = SQLScript.statements(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'a;b''c')"))
        #expect(statements[1].hasSuffix("$$"))
        #expect(statements[2].hasSuffix("$body$"))
        #expect(statements[3] == "SELECT $1")
    }

    @Test("a file of only comments has no statements")
    func blank() {
        #expect(SQLScript.statements("-- nothing\n/* here */\n;\n").isEmpty)
    }
}
