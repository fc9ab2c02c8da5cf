import CZlib
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@Suite("Code export over real HTTP")
struct ExportAPITests {
    @Test("a 1,000,000-code batch streams as CSV whose every line is a valid code of that batch")
    func millionCodes() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            _ = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 123}"#) // so serials do not start at 0
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 1000000}"#)
            // curl, not the test client: its 20-second limit is for small answers, and this is 90 MB.
            let body = try await app.download("/api/v1/batches/\(batch.id)/codes")
            let lines = String(decoding: body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.first == "sequence,serial,code,grouped,url")
            #expect(lines.count == 1_000_002 && lines.last == "")
            // Checked in two halves at once: on one thread this was the longest minute of the tests.
            let codes = Array(lines.dropFirst().dropLast())
            let half = codes.count / 2
            let wrong = await withTaskGroup(of: String?.self) { group in
                for range in [0..<half, half..<codes.count] {
                    group.addTask { await Self.firstWrongLine(codes, range, of: batch) }
                }
                return await group.reduce(into: [String]()) { if let line = $1 { $0.append(line) } }
            }
            #expect(wrong.isEmpty, "\(wrong)")
        }
    }

    /// The first of `lines[range]` that is not the CSV line of `batch`'s code at that index, if any.
    static func firstWrongLine(_ lines: [Substring], _ range: Range<Int>, of batch: Batch) async -> String? {
        for index in range {
            let line = lines[index]
            let sequence = Int64(index)
            let fields = line.split(separator: ",")
            guard fields.count == 5, case .valid(let code) = testKeyRing.check(fields[2]),
                Int64(fields[0]) == sequence,
                Int64(code.serial) == batch.firstSerial + sequence, Int64(fields[1]) == Int64(code.serial),
                fields[3] == code.grouped, fields[4] == "https://tally.cn/Q/\(code.text)"
            else { return "line \(sequence + 1) is wrong: \(line)" }
            // Seconds of checking: let the tests running alongside have the thread now and then.
            if sequence % 1000 == 0 { await Task.yield() }
        }
        return nil
    }

    @Test("a printer fetches its share: from/count paging, plain-text URLs, the GS1 form")
    func paging() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 100, "url_form": "gs1"}"#)
            let share = try await app.request(.get, "/api/v1/batches/\(batch.id)/codes?format=txt&from=40&count=3")
            #expect(share.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(share.headers[.contentDisposition] == "attachment; filename=\"batch-\(batch.id)-40-42.txt\"")
            let urls = String(buffer: share.body).split(separator: "\n")
            #expect(urls.count == 3)
            for (offset, url) in urls.enumerated() {
                #expect(url.hasPrefix("https://tally.cn/01/09506000134352/21/"))
                #expect(
                    testKeyRing.check(CodeLink.codeText(in: String(url))).code?.serial == UInt64(batch.firstSerial + 40 + Int64(offset)))
            }
        }
    }

    @Test("single images decode back to the code's URL; a ZIP holds one image per code")
    func images() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 50}"#)
            let code = testKeyRing.mint(kid: 1, serial: UInt64(batch.firstSerial + 7))!
            let png = try await app.request(.get, "/api/v1/batches/\(batch.id)/codes/7.png?module_size=4")
            #expect(png.status == .ok && png.headers[.contentType] == "image/png")
            #expect(try zbarimg(Array(buffer: png.body), suffix: "png") == "https://tally.cn/Q/\(code.text)")
            let svg = try await app.request(.get, "/api/v1/batches/\(batch.id)/codes/7.svg")
            #expect(svg.headers[.contentType] == "image/svg+xml")
            #expect(String(buffer: svg.body).hasPrefix("<?xml"))

            let zip = try await app.request(.get, "/api/v1/batches/\(batch.id)/images.zip?from=10&count=5")
            #expect(zip.headers[.contentType] == "application/zip")
            let names = try zipEntryNames(Array(buffer: zip.body))
            #expect(names.count == 5)
            #expect(names.first == "00000010_\(testKeyRing.mint(kid: 1, serial: UInt64(batch.firstSerial + 10))!.grouped).png")
        }
    }

    @Test("bad export requests are refused with clear errors")
    func invalid() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 20000}"#)
            let cases: [(String, Int, String)] = [
                ("/codes?format=pdf", 400, "invalid_format"),
                ("/codes?from=20000", 422, "invalid_range"),
                ("/codes?from=5&count=19996", 422, "invalid_range"),
                ("/codes?count=abc", 400, "invalid_count"),
                ("/codes/20000.png", 404, "code_not_found"),
                ("/codes/-1.png", 404, "code_not_found"),
                ("/codes/1.png?module_size=99", 400, "invalid_module_size"),
                ("/images.zip?count=10001", 400, "too_many_images"),
                ("/images.zip?format=gif", 400, "invalid_format"),
            ]
            for (path, status, code) in cases {
                let response = try await app.request(.get, "/api/v1/batches/\(batch.id)\(path)")
                #expect(response.status.code == status, "\(path)")
                #expect(try errorCode(response) == code, "\(path)")
            }
            let missing = try await app.request(.get, "/api/v1/batches/999/codes")
            #expect(missing.status == .notFound)
            #expect(try await app.count("export_audit") == 0)
        }
    }

    @Test("every export is audited: who, which batch, which range, which kind")
    func audit() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            try await app.request(.get, "/api/v1/batches/\(batch.id)/codes?from=10&count=20")
            try await app.request(.get, "/api/v1/batches/\(batch.id)/codes/3.svg")
            try await app.request(.get, "/api/v1/batches/\(batch.id)/images.zip?count=2")
            let rows = try await app.database.query(
                "SELECT actor, kind, first_sequence, count FROM export_audit ORDER BY id", logger: TestDatabase.logger
            )
            var audit: [String] = []
            for try await (actor, kind, from, count) in rows.decode((String, String, Int64, Int64).self) {
                #expect(actor.hasPrefix("key:tly_"))
                audit.append("\(kind) \(from)+\(count)")
            }
            #expect(audit == ["csv 10+20", "svg 3+1", "zip 0+2"])
        }
    }

    @Test("a batch signed with a key the server no longer holds cannot be exported")
    func retiredKey() async throws {
        let otherRing = try KeyRing([SigningKey(kid: 2, bytes: Array(repeating: 9, count: 32))])
        try await TestApp.run(keyRing: otherRing) { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            #expect(batch.kid == 2)
            try await app.database.query("UPDATE batches SET kid = 1", logger: TestDatabase.logger)
            let response = try await app.request(.get, "/api/v1/batches/\(batch.id)/codes")
            #expect(response.status == .conflict)
            #expect(try errorCode(response) == "key_retired")
        }
    }
}

/// Decodes a QR image with zbarimg (Debian's zbar-tools), an independent decoder.
func zbarimg(_ image: [UInt8], suffix: String) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString).\(suffix)")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(image).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
    process.arguments = ["--raw", "-q", file.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Reads a ZIP's central directory, checking each entry's CRC-32 against its stored bytes.
func zipEntryNames(_ zip: [UInt8]) throws -> [String] {
    func u16(_ at: Int) -> Int { Int(zip[at]) | Int(zip[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    struct Invalid: Error {}
    let end = zip.count - 22
    guard end >= 0, u32(end) == 0x0605_4B50 else { throw Invalid() }
    var at = u32(end + 16)
    var names: [String] = []
    for _ in 0..<u16(end + 10) {
        guard u32(at) == 0x0201_4B50 else { throw Invalid() }
        let crc = u32(at + 16)
        let size = u32(at + 20)
        let nameLength = u16(at + 28)
        let local = u32(at + 42)
        names.append(String(decoding: zip[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self))
        let dataStart = local + 30 + u16(local + 26) + u16(local + 28)
        let data = Array(zip[dataStart..<(dataStart + size)])
        guard Int(data.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }) == crc else { throw Invalid() }
        at += 46 + nameLength + u16(at + 30) + u16(at + 32)
    }
    return names
}
