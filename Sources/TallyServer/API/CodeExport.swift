import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import TallyCodes
import TallyCore

/// A batch's codes as files for printers: streamed CSV or URL lists, single QR images, ZIPs of
/// images. The API's export and the console's download both serve them from here, so the files
/// and their audit are the same whichever way they were asked for: every export is recorded in
/// `export_audit` before its first byte, because code files are secrets until printed.
struct CodeExport: Sendable {
    /// Most images in one ZIP; larger runs are fetched as several sub-ranges.
    static let maxZipImages: Int64 = 10_000
    /// Codes per streamed chunk: about 190 KB of CSV, so memory stays flat at any batch size.
    static let linesPerChunk = 2048

    let batches: BatchStore
    let audit: ExportAudit
    let keyRing: KeyRing
    let publicHost: String

    init(_ dependencies: Dependencies) {
        batches = dependencies.batches
        audit = dependencies.exportAudit
        keyRing = dependencies.config.keyRing
        publicHost = dependencies.config.publicHost
    }

    /// The batch and the key its codes are signed with.
    func exportable(batchID: Int64) async throws -> (Batch, SigningKey) {
        let batch = try await batches.get(id: batchID)
        guard let key = keyRing.key(kid: UInt8(batch.kid)) else {
            throw StoreError(
                .conflict, .keyRetired, "batch \(batch.id) was signed with key \(batch.kid), which this server no longer holds")
        }
        return (batch, key)
    }

    /// Codes `from ..< from + count` as CSV or URL lines, recorded for `actor`, then streamed.
    func lines(_ batch: Batch, key: SigningKey, format: CodeLines.Format, from: Int64, count: Int64, actor: String) async throws
        -> Response
    {
        try await audit.record(batchID: batch.id, actor: actor, kind: format == .csv ? .csv : .txt, from: from, count: count)
        Counter(label: "tally_codes_exported_total").increment(by: Int64(count))
        let lines = CodeLines(format: format, host: publicHost, gtin: try gtin(of: batch), sequenceOrigin: UInt64(batch.firstSerial))
        let firstSerial = UInt64(batch.firstSerial + from)
        let end = firstSerial + UInt64(count)
        let kid = UInt8(batch.kid)
        let body = ResponseBody { writer in
            var buffer = ByteBuffer(bytes: lines.header)
            var scratch: [UInt8] = []
            scratch.reserveCapacity(Self.linesPerChunk * 100)
            var serial = firstSerial
            while serial < end {
                let chunkEnd = min(end, serial + UInt64(Self.linesPerChunk))
                scratch.removeAll(keepingCapacity: true)
                while serial < chunkEnd {
                    lines.append(Code(kid: kid, serial: serial, tag: key.tag(serial: serial)), to: &scratch)
                    serial += 1
                }
                buffer.writeBytes(scratch)
                try await writer.write(buffer)
                buffer.clear()
            }
            try await writer.finish(nil)
        }
        let name = "batch-\(batch.id)-\(from)-\(from + count - 1).\(format.rawValue)"
        return Response(
            status: .ok,
            headers: [
                .contentType: format == .csv ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(name)\"",
                .cacheControl: "no-store",
            ],
            body: body
        )
    }

    /// The QR image of the code at `sequence` (404 `code_not_found` outside the batch), recorded for `actor`.
    func image(_ batch: Batch, key: SigningKey, sequence: Int64?, kind: ExportAudit.Kind, moduleSize: Int, actor: String) async throws
        -> Response
    {
        guard let sequence, sequence >= 0, sequence < batch.quantity else {
            throw StoreError(.notFound, .codeNotFound, "batch \(batch.id) has codes 0 to \(batch.quantity - 1)")
        }
        try await audit.record(batchID: batch.id, actor: actor, kind: kind, from: sequence, count: 1)
        let bytes = try render(batch: batch, key: key, sequence: sequence, kind: kind, moduleSize: moduleSize)
        return Response(
            status: .ok,
            headers: [.contentType: kind == .png ? "image/png" : "image/svg+xml", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// The QR images of codes `from ..< from + count` in a ZIP, recorded for `actor`, then streamed.
    func zip(_ batch: Batch, key: SigningKey, kind: ExportAudit.Kind, from: Int64, count: Int64, moduleSize: Int, actor: String)
        async throws -> Response
    {
        try await audit.record(batchID: batch.id, actor: actor, kind: .zip, from: from, count: count)
        Counter(label: "tally_codes_exported_total").increment(by: Int64(count))
        let body = ResponseBody { writer in
            var archive = ZipWriter()
            for seq in from..<(from + count) {
                let data = try render(batch: batch, key: key, sequence: seq, kind: kind, moduleSize: moduleSize)
                let code = Code(
                    kid: UInt8(batch.kid), serial: UInt64(batch.firstSerial + seq), tag: key.tag(serial: UInt64(batch.firstSerial + seq)))
                let name = String(format: "%08lld_%@.%@", seq, code.grouped, kind.rawValue)
                try await writer.write(ByteBuffer(bytes: archive.entry(name: name, data: data)))
            }
            try await writer.write(ByteBuffer(bytes: archive.finish()))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/zip",
                .contentDisposition: "attachment; filename=\"batch-\(batch.id)-\(from)-\(from + count - 1).zip\"",
                .cacheControl: "no-store",
            ],
            body: body
        )
    }

    /// The range of a ZIP: at most `maxZipImages`, the first of them when no count is given.
    static func zipRange(from: Int64?, count: Int64?, batch: Batch) throws -> (Int64, Int64) {
        var count = count
        let available = batch.quantity - (from ?? 0)
        if count == nil && available > maxZipImages { count = maxZipImages }
        if let requested = count, requested > maxZipImages {
            throw StoreError(.invalid, .tooManyImages, "at most \(maxZipImages) images per ZIP; fetch the batch in sub-ranges")
        }
        return try BatchStore.subrange(from: from, count: count, quantity: batch.quantity)
    }

    private func gtin(of batch: Batch) throws -> GTIN? {
        guard batch.urlForm == "gs1", let digits = batch.gtin else { return nil }
        return try GTIN(digits)
    }

    private func render(batch: Batch, key: SigningKey, sequence: Int64, kind: ExportAudit.Kind, moduleSize: Int) throws -> [UInt8] {
        let serial = UInt64(batch.firstSerial + sequence)
        let code = Code(kid: UInt8(batch.kid), serial: serial, tag: key.tag(serial: serial))
        let url =
            if let gtin = try gtin(of: batch) {
                CodeLink.gs1(host: publicHost, gtin: gtin, code: code)
            } else {
                CodeLink.short(host: publicHost, code: code)
            }
        let symbol = try QRSymbol(encoding: url)
        return kind == .png ? QRPNG.render(symbol, moduleSize: moduleSize) : Array(QRSVG.render(symbol, moduleSize: moduleSize).utf8)
    }
}
