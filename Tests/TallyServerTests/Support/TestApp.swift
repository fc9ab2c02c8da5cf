import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Application logs at warning and above: test output stays readable.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}()

/// The published test key (bytes 0x00…0x1f) under kid 1.
let testKeyRing = try! KeyRing([SigningKey(kid: 1, bytes: Array(0..<32))])

/// A running Tally server on a fresh database, with one API key per scope and a product.
/// Every answer its client receives is held to the OpenAPI contract (`ContractValidator`).
struct TestApp {
    let client: any TestClientProtocol
    let database: PostgresClient
    /// Secrets by scope: `secrets[.mint]` is a key holding only `mint`.
    let secrets: [Scope: String]

    /// Runs `body` against a live server (real HTTP on loopback) and a fresh database.
    static func run(
        keyRing: KeyRing = testKeyRing,
        configure: @Sendable (inout ServerConfig) -> Void = { _ in },
        _ body: @Sendable (TestApp) async throws -> Void
    ) async throws {
        try await TestDatabase.withFresh { database, url in
            var secrets: [Scope: String] = [:]
            let keys = APIKeyStore(database: database, logger: TestDatabase.logger)
            for scope in Scope.allCases {
                secrets[scope] = try await keys.create(name: "test \(scope.rawValue)", scopes: [scope]).secret
            }
            var config = ServerConfig(port: 0, publicHost: "tally.cn", databaseURL: url, keyRing: keyRing)
            // Tests run the expiry and tier jobs themselves, when they choose.
            config.programmeJobsSeconds = 0
            configure(&config)
            let app = try buildApplication(config, logger: quietLogger)
            let frozen = secrets
            try await app.test(.live) { client in
                try await body(TestApp(client: ContractCheckedClient(base: client), database: database, secrets: frozen))
            }
        }
    }

    /// Sends a request as the key with `scope` (nil: no Authorization header).
    @discardableResult
    func request(
        _ method: HTTPRequest.Method,
        _ uri: String,
        as scope: Scope? = .mint,
        json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let scope { headers[.authorization] = "Bearer \(secrets[scope]!)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
        )
    }

    /// Downloads a large answer with curl from the live server, as the `mint` key; fails on a
    /// non-200. The answer's status and Content-Type are held to the OpenAPI contract.
    func download(_ uri: String) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = [
            "--silent", "--show-error", "--fail", "--max-time", "600",
            "--write-out", "%{stderr}%{http_code} %{content_type}",
            "-H", "Authorization: Bearer \(secrets[.mint]!)", "http://127.0.0.1:\(client.port!)\(uri)",
        ]
        let output = Pipe()
        let written = Pipe()
        process.standardOutput = output
        process.standardError = written
        try process.run()
        // Read on a thread of its own: blocking one of Swift concurrency's few threads (two on
        // two cores) for the whole download starved the tests running alongside.
        let reading = output.fileHandleForReading
        let data = await withCheckedContinuation { done in
            Thread { done.resume(returning: reading.readDataToEndOfFile()) }.start()
        }
        // curl has closed its output: it is exiting, and its trailer is short.
        let trailer = String(decoding: written.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "curl failed for \(uri): \(trailer)")
        // The last line curl writes to stderr is "<status> <content type>".
        let fields = trailer.split(separator: "\n").last?.split(separator: " ", maxSplits: 1) ?? []
        let status = try #require(fields.first.flatMap { Int($0) }, "curl wrote no status: \(trailer)")
        let contentType = fields.count > 1 ? String(fields[1]) : nil
        let headers: HTTPFields = contentType.map { [.contentType: $0] } ?? [:]
        // The body is not handed over: it is not JSON, and may be hundreds of megabytes.
        ContractValidator.expectConforms(.get, uri, status: status, headers: headers, body: nil)
        return data
    }

    /// Creates the product RICE-5KG (10 points, with a GTIN).
    func createProduct(sku: String = "RICE-5KG", gtin: String? = "09506000134352") async throws {
        let gtinField = gtin.map { #", "gtin": "\#($0)""# } ?? ""
        let response = try await request(
            .post, "/api/v1/products", as: .admin,
            json: """
                {"sku": "\(sku)", "name": "Rice 5 kg", "default_points": 10\(gtinField)}
                """)
        #expect(response.status == .created)
    }

    /// Creates a batch, activates all its codes, and returns it.
    func createActiveBatch(_ json: String) async throws -> Batch {
        let batch = try await createBatch(json)
        let response = try await request(.post, "/api/v1/batches/\(batch.id)/activate")
        try #require(response.status == .ok)
        return try decode(Batch.self, response)
    }

    /// The code of `sequence` in `batch`, signed with the test key.
    func code(_ batch: Batch, _ sequence: Int64) -> Code {
        testKeyRing.mint(kid: UInt8(batch.kid), serial: UInt64(batch.firstSerial + sequence))!
    }

    /// Creates a batch and returns it.
    func createBatch(_ json: String, key: String = UUID().uuidString) async throws -> Batch {
        let response = try await request(.post, "/api/v1/batches", json: json, headers: [HTTPField.Name("Idempotency-Key")!: key])
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(Batch.self, response)
    }

    /// A count from the database, for checking that a refused request changed nothing.
    func count(_ table: String) async throws -> Int {
        let rows = try await database.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)"), logger: TestDatabase.logger)
        for try await n in rows.decode(Int.self) { return n }
        return -1
    }
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(type, from: Data(Array(buffer: response.body)))
}

/// The error code of a JSON error response, checking the `{"error": {"code", "message"}}` shape.
func errorCode(_ response: TestResponse) throws -> String {
    struct Body: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }
    let body = try JSONDecoder().decode(Body.self, from: Data(Array(buffer: response.body)))
    #expect(!body.error.message.isEmpty)
    return body.error.code
}

extension TestApp {
    /// A digest of every table's rows (`md5` of their text, in order): equal digests before and
    /// after a refused request show that it changed nothing at all.
    func databaseDigest() async throws -> [String: String] {
        var tables: [String] = []
        let names = try await database.query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: TestDatabase.logger)
        for try await name in names.decode(String.self) { tables.append(name) }
        var digest: [String: String] = [:]
        for table in tables {
            let rows = try await database.query(
                PostgresQuery(unsafeSQL: "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \(table) t"),
                logger: TestDatabase.logger)
            for try await sum in rows.decode(String.self) { digest[table] = sum }
        }
        return digest
    }

    /// Sends a request whose header lines are the raw bytes given (e.g. not UTF-8, which
    /// `HTTPFields` cannot carry), with curl, as the key with `scope`. The answer is held to the
    /// OpenAPI contract.
    func rawRequest(
        _ method: HTTPRequest.Method, _ uri: String, as scope: Scope?, headerLines: [[UInt8]], json: String? = nil
    ) async throws -> (status: Int, body: [UInt8]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-raw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = headerLines
        if let scope { lines.append(Array("Authorization: Bearer \(secrets[scope]!)".utf8)) }
        if json != nil { lines.append(Array("Content-Type: application/json".utf8)) }
        let headerFile = directory.appendingPathComponent("headers")
        try Data(lines.flatMap { $0 + [UInt8(ascii: "\n")] }).write(to: headerFile)
        let bodyFile = directory.appendingPathComponent("body")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments =
            ["--silent", "--show-error", "--max-time", "60", "-X", method.rawValue, "-H", "@\(headerFile.path)", "-o", bodyFile.path]
            + ["--write-out", "%{http_code} %{content_type}"]
            + (json.map { ["--data-binary", $0] } ?? []) + ["http://127.0.0.1:\(client.port!)\(uri)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let reading = output.fileHandleForReading
        let written = await withCheckedContinuation { done in
            Thread { done.resume(returning: reading.readDataToEndOfFile()) }.start()
        }
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "curl failed for \(method) \(uri)")
        let fields = String(decoding: written, as: UTF8.self).split(separator: " ", maxSplits: 1)
        let status = try #require(fields.first.flatMap { Int($0) }, "curl wrote no status")
        let body = Array((try? Data(contentsOf: bodyFile)) ?? Data())
        let headers: HTTPFields = fields.count > 1 ? [.contentType: String(fields[1])] : [:]
        ContractValidator.expectConforms(method, uri, status: status, headers: headers, body: body)
        return (status, body)
    }
}

/// The error code of a JSON error body, checking the `{"error": {"code", "message"}}` shape.
func errorCode(_ body: [UInt8]) throws -> String {
    struct Body: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }
    return try JSONDecoder().decode(Body.self, from: Data(body)).error.code
}
