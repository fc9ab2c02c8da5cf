import Foundation
import PostgresNIO

/// What the landing page shows about a genuine code: its batch, product, state and claim, as
/// a prepared statement of one function (db/functions/code_status.sql), which looks the claim
/// and then its member up by key. Every scan asks it; PL/pgSQL keeps the plans of its statements
/// (planning joins on every call cost PostgreSQL about four times what running them does).
struct CodeStatusStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_code_status"
    static let sql = "SELECT * FROM code_status($1, $2, $3, $4)"
    // The types Swift sends, so that a first call without a viewer prepares the same statement.
    static let bindingDataTypes: [PostgresDataType] = [.int2, .int8, .uuid, .text]
    typealias Row = (Int64, String, String?, String?, String?, Int, String, Bool, UUID?, Date?, Bool)

    var kid: Int16
    var serial: Int64
    var viewer: UUID?
    var timeZone: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(kid)
        bindings.append(serial)
        bindings.append(viewer)
        bindings.append(timeZone)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
