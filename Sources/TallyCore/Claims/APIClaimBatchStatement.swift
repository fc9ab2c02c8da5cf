import Foundation
import PostgresNIO

/// The call of `api_claim_batch` (db/functions/api_claim_batch.sql): several API claims as
/// one statement and one transaction, each one `api_claim` as `APIClaimStatement` would call
/// it, answered only once committed. The driver has no NULL array elements, so a
/// missing text goes as "" and a missing coordinate as NaN, which the function turns back
/// into NULL; the answer marks missing values the same way.
struct APIClaimBatchStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_api_claim_batch"
    static let sql = """
        CALL api_claim_batch(
            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::int, $12, $13, $14, $15, $16)
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuidArray, .textArray, .textArray, .byteaArray, .boolArray, .textArray, .textArray, .textArray,
        .int2Array, .int8Array, .int8, .text, .textArray, .textArray, .float8Array, .float8Array,
    ]
    /// One element per claim, in order: api_claim's row (outcome, member, points, balance,
    /// stored status and body; missing values as the nil UUID, 0 and ""), or, where the refusal
    /// is not "", the refusal and its detail; then each claim's campaign awards (JSON, "[]" for none).
    typealias Row = ([String], [UUID], [Int32], [Int64], [Int32], [ByteBuffer], [String], [String], [String])

    /// The claims; their daily cap and time zone are the server's, the same for all.
    var claims: [APIClaimStatement]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 16)
        bindings.append(claims.map(\.apiKey))
        bindings.append(claims.map(\.actor))
        bindings.append(claims.map(\.key))
        bindings.append(claims.map(\.requestHash))
        bindings.append(claims.map(\.invalidInput))
        bindings.append(claims.map { $0.channel ?? "" })
        bindings.append(claims.map { $0.externalID ?? "" })
        bindings.append(claims.map { $0.phone ?? "" })
        bindings.append(claims.map(\.kid))
        bindings.append(claims.map(\.serial))
        bindings.append(claims[0].dailyCap)
        bindings.append(claims[0].timeZone)
        bindings.append(claims.map { $0.ip ?? "" })
        bindings.append(claims.map { $0.userAgent ?? "" })
        bindings.append(claims.map { $0.latitude ?? .nan })
        bindings.append(claims.map { $0.longitude ?? .nan })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
