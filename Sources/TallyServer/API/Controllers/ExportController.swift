import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import TallyCodes
import TallyCore

/// Code exports for printers: streamed CSV or URL lists, single QR images, ZIPs of images
/// (made and audited by `CodeExport`, which the console's downloads share).
struct ExportController: APIController {
    let export: CodeExport

    init(_ dependencies: Dependencies) {
        export = CodeExport(dependencies)
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.get, "/api/v1/batches/{id}/codes", scope: .mint, Self.exportCodes),
        APIOperation(.get, "/api/v1/batches/{id}/codes/{seq}.png", scope: .mint, Self.getCodePNG),
        APIOperation(.get, "/api/v1/batches/{id}/codes/{seq}.svg", scope: .mint, Self.getCodeSVG),
        APIOperation(.get, "/api/v1/batches/{id}/images.zip", scope: .mint, Self.getImagesZip),
    ]

    func exportCodes(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let format: CodeLines.Format
        switch try request.query("format", invalid: .invalidFormat) ?? "csv" {
        case "csv": format = .csv
        case "txt": format = .txt
        default: throw APIError.badRequest(.invalidFormat, "format is csv or txt")
        }
        let (batch, key) = try await exportable(context)
        let (from, count) = try BatchStore.subrange(
            from: try request.integer("from", in: 0...Int64.max, invalid: .invalidFrom),
            count: try request.integer("count", in: 1...Int64.max, invalid: .invalidCount), quantity: batch.quantity)
        return try await export.lines(batch, key: key, format: format, from: from, count: count, actor: context.apiKey!.actor)
    }

    func getCodePNG(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await image(request, context: context, kind: .png)
    }

    func getCodeSVG(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await image(request, context: context, kind: .svg)
    }

    func getImagesZip(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let kind: ExportAudit.Kind
        switch try request.query("format", invalid: .invalidFormat) ?? "png" {
        case "png": kind = .png
        case "svg": kind = .svg
        default: throw APIError.badRequest(.invalidFormat, "format is png or svg")
        }
        let (batch, key) = try await exportable(context)
        let from = try request.integer("from", in: 0...Int64.max, invalid: .invalidFrom)
        let count = try request.integer("count", in: 1...Int64.max, invalid: .invalidCount)
        let range: (Int64, Int64)
        do {
            range = try CodeExport.zipRange(from: from, count: count, batch: batch)
        } catch let error as StoreError where error.code == .tooManyImages {
            // A request the API has always answered with a 400.
            throw APIError.badRequest(error.code, error.message)
        }
        let moduleSize = Int(try request.integer("module_size", in: 1...40, invalid: .invalidModuleSize) ?? 8)
        return try await export.zip(
            batch, key: key, kind: kind, from: range.0, count: range.1, moduleSize: moduleSize, actor: context.apiKey!.actor)
    }

    private func image(_ request: Request, context: AppRequestContext, kind: ExportAudit.Kind) async throws -> Response {
        let (batch, key) = try await exportable(context)
        let sequence = context.parameters.get("seq").flatMap { Int64($0) }
        guard let sequence, sequence >= 0, sequence < batch.quantity else {
            throw APIError(.notFound, .codeNotFound, "batch \(batch.id) has codes 0 to \(batch.quantity - 1)")
        }
        let moduleSize = Int(try request.integer("module_size", in: 1...40, invalid: .invalidModuleSize) ?? 8)
        return try await export.image(
            batch, key: key, sequence: sequence, kind: kind, moduleSize: moduleSize, actor: context.apiKey!.actor)
    }

    /// The batch named in the path and the key its codes are signed with.
    private func exportable(_ context: AppRequestContext) async throws -> (Batch, SigningKey) {
        try await export.exportable(batchID: try context.parameters.id("id", what: "batch", notFound: .batchNotFound))
    }
}
