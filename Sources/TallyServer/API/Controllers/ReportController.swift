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
        let report = try await liability.report(
            from: try request.query("from", invalid: .invalidMonth, status: .unprocessableContent),
            to: try request.query("to", invalid: .invalidMonth, status: .unprocessableContent), timeZone: timeZone
        )
        return try .json(report, context: context)
    }

    func exportSegment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await segment(request)
    }

    /// Streams the segment's members as CSV; the query is checked before the first byte.
    private func segment(_ request: Request) async throws -> Response {
        guard let kind = Segment.Kind(rawValue: try request.query("segment", invalid: .invalidSegment) ?? "all") else {
            throw APIError.badRequest(.invalidSegment, "segment is one of \(Segment.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let segment = Segment(
            kind: kind,
            days: Int(try request.integer("days", in: 1...3650, invalid: .invalidDays) ?? 30),
            lapsedDays: Int(try request.integer("lapsed_days", in: 1...3650, invalid: .invalidLapsedDays) ?? 90),
            tier: try request.query("tier", invalid: .invalidTier).map { tier in
                guard Programme.Tier.isValidName(tier) else {
                    throw APIError.badRequest(
                        .invalidTier, "tier is a tier name: 1 to 32 lower-case letters, digits or _, starting with a letter")
                }
                return tier
            }
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
