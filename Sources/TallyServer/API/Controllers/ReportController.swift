import Foundation
import Hummingbird
import TallyCore

/// Reports for finance and segments for marketing.
struct ReportController: APIController {
    let liability: LiabilityReports
    let segments: SegmentExport
    let timeZone: String

    init(_ dependencies: Dependencies) {
        liability = dependencies.liability
        segments = dependencies.segments
        timeZone = dependencies.config.timeZone
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.get, "/api/v1/reports/liability", scope: .crmRead, Self.liabilityReport),
        APIOperation(.get, "/api/v1/segments/members.csv", scope: .crmRead, Self.exportSegment),
    ]

    func liabilityReport(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let report = try await liability.report(
            from: query["from"].map(String.init), to: query["to"].map(String.init), timeZone: timeZone
        )
        return try .json(report, context: context)
    }

    func exportSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await segment(request)
    }

    /// Streams the segment's members as CSV; the query is checked before the first byte.
    private func segment(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let kind = Segment.Kind(rawValue: String(query["segment"] ?? "all")) else {
            throw APIError.badRequest(.invalidSegment, "segment is one of \(Segment.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let segment = Segment(
            kind: kind,
            days: Int(try request.integer("days", in: 1...3650, invalid: .invalidDays) ?? 30),
            lapsedDays: Int(try request.integer("lapsed_days", in: 1...3650, invalid: .invalidLapsedDays) ?? 90),
            tier: query["tier"].map(String.init)
        )
        let rows = try await segments.open(segment)
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: Segment.header))
            try await rows.write { chunk in try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"members-\(kind.rawValue).csv\"",
                .cacheControl: "no-store",
            ],
            body: body
        )
    }
}
