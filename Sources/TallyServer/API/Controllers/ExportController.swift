import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import TallyCodes
import TallyCore

/// Code exports for printers: streamed CSV or URL lists, single QR images, ZIPs of images.
/// Every export is audited before its first byte, because code files are secrets until printed.
struct ExportController: APIController {
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

    static let operations: [APIOperation<Self>] = [
        APIOperation(.get, "/api/v1/batches/{id}/codes", scope: .mint, Self.exportCodes),
        APIOperation(.get, "/api/v1/batches/{id}/codes/{seq}.png", scope: .mint, Self.getCodePNG),
        APIOperation(.get, "/api/v1/batches/{id}/codes/{seq}.svg", scope: .mint, Self.getCodeSVG),
        APIOperation(.get, "/api/v1/batches/{id}/images.zip", scope: .mint, Self.getImagesZip),
    ]

    func exportCodes(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await codes(request, context: context)
    }

    func getCodePNG(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await image(request, context: context, kind: .png)
    }

    func getCodeSVG(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await image(request, context: context, kind: .svg)
    }

    func getImagesZip(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await zip(request, context: context)
    }

    private func codes(_ request: Request, context: AppRequestContext) async throws -> Response {
        let format: CodeLines.Format
        switch try request.query("format", invalid: .invalidFormat) ?? "csv" {
        case "csv": format = .csv
        case "txt": format = .txt
        default: throw APIError.badRequest(.invalidFormat, "format is csv or txt")
        }
        let (batch, key) = try await exportable(context)
        let (from, count) = try range(request, batch: batch, limit: nil)
        try await audit.record(
            batchID: batch.id, actor: context.apiKey!.actor, kind: format == .csv ? .csv : .txt, from: from, count: count)
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

    private func image(_ request: Request, context: AppRequestContext, kind: ExportAudit.Kind) async throws -> Response {
        let (batch, key) = try await exportable(context)
        guard let text = context.parameters.get("seq"), let seq = Int64(text), seq >= 0, seq < batch.quantity else {
            throw APIError(.notFound, .codeNotFound, "batch \(batch.id) has codes 0 to \(batch.quantity - 1)")
        }
        let moduleSize = Int(try request.integer("module_size", in: 1...40, invalid: .invalidModuleSize) ?? 8)
        try await audit.record(batchID: batch.id, actor: context.apiKey!.actor, kind: kind, from: seq, count: 1)
        let bytes = try render(batch: batch, key: key, sequence: seq, kind: kind, moduleSize: moduleSize)
        return Response(
            status: .ok,
            headers: [.contentType: kind == .png ? "image/png" : "image/svg+xml", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    private func zip(_ request: Request, context: AppRequestContext) async throws -> Response {
        let kind: ExportAudit.Kind
        switch try request.query("format", invalid: .invalidFormat) ?? "png" {
        case "png": kind = .png
        case "svg": kind = .svg
        default: throw APIError.badRequest(.invalidFormat, "format is png or svg")
        }
        let (batch, key) = try await exportable(context)
        let (from, count) = try range(request, batch: batch, limit: Self.maxZipImages)
        let moduleSize = Int(try request.integer("module_size", in: 1...40, invalid: .invalidModuleSize) ?? 8)
        try await audit.record(batchID: batch.id, actor: context.apiKey!.actor, kind: .zip, from: from, count: count)
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

    /// The batch named in the path and the key its codes are signed with.
    private func exportable(_ context: AppRequestContext) async throws -> (Batch, SigningKey) {
        let batch = try await batches.get(id: try context.parameters.id("id", what: "batch", notFound: .batchNotFound))
        guard let key = keyRing.key(kid: UInt8(batch.kid)) else {
            throw APIError(.conflict, .keyRetired, "batch \(batch.id) was signed with key \(batch.kid), which this server no longer holds")
        }
        return (batch, key)
    }

    private func range(_ request: Request, batch: Batch, limit: Int64?) throws -> (Int64, Int64) {
        let from = try request.integer("from", in: 0...Int64.max, invalid: .invalidFrom)
        var count = try request.integer("count", in: 1...Int64.max, invalid: .invalidCount)
        if let limit {
            let available = batch.quantity - (from ?? 0)
            if count == nil && available > limit { count = limit }
            if let requested = count, requested > limit {
                throw APIError.badRequest(.tooManyImages, "at most \(limit) images per ZIP; fetch the batch in sub-ranges")
            }
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
