import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/api/v1/campaigns/{id}/…`: a campaign's report per day (JSON or CSV), its backtest over
/// past claims, and its draws for audit.
struct CampaignReportController: APIController {
    /// The scope of every route here: the one place to change it.
    static let scope: Scope = .campaigns

    let reports: CampaignReports
    let backtester: CampaignBacktester
    let draws: CampaignDraws

    /// What `POST /campaigns/{id}/backtest` takes.
    struct BacktestRequest: Decodable {
        var days: LenientInteger?
    }

    /// A number that may be anything in JSON: what is not a whole number that fits in 64 bits
    /// is nil, so the store refuses it with its own 422 rather than a 400 `invalid_json`.
    struct LenientInteger: Decodable {
        let value: Int64?

        init(from decoder: any Decoder) throws {
            value = try? decoder.singleValueContainer().decode(Int64.self)
        }
    }

    init(_ dependencies: Dependencies) {
        reports = dependencies.campaignReports
        backtester = dependencies.campaignBacktester
        draws = dependencies.campaignDraws
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.get, "/api/v1/campaigns/{id}/report", scope: scope, Self.campaignReport),
        APIOperation(.post, "/api/v1/campaigns/{id}/backtest", scope: scope, Self.backtestCampaign),
        APIOperation(.get, "/api/v1/campaigns/{id}/draws", scope: scope, Self.listCampaignDraws),
    ]

    func campaignReport(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try Self.campaignID(context)
        let csv = try Self.wantsCSV(request)
        let report = try await reports.report(
            campaign: id, from: try request.query("from", invalid: .invalidReportDate, status: .unprocessableContent),
            to: try request.query("to", invalid: .invalidReportDate, status: .unprocessableContent))
        guard csv else { return try .json(report, context: context) }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"campaign-\(id)-\(report.from)-\(report.to).csv\"",
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: report.csv))
        )
    }

    func backtestCampaign(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try Self.campaignID(context)
        let body = try await request.jsonBody(upTo: context.maxUploadSize)
        let backtest = body.isEmpty ? BacktestRequest() : try context.requestDecoder.decode(BacktestRequest.self, from: body)
        return try .json(try await backtester.backtest(campaign: id, days: backtest.days?.value), context: context)
    }

    func listCampaignDraws(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try Self.campaignID(context)
        let limit = try request.integer("limit", in: 1...Int64(CampaignDraws.maxPageSize), invalid: .invalidLimit) ?? 50
        let cursor = try request.integer("cursor", in: 1...Int64.max, invalid: .invalidCursor)
        let items = try await draws.list(campaign: id, before: cursor, limit: Int(limit))
        let next = items.count == Int(limit) ? items.last.map { String($0.id) } : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    private static func campaignID(_ context: AppRequestContext) throws -> Int64 {
        try context.parameters.id("id", what: "campaign", notFound: .campaignNotFound)
    }

    /// CSV when `format=csv`, or when no `format` is sent and `Accept` names `text/csv`; JSON
    /// otherwise. Another `format` is a 400 `invalid_format`.
    private static func wantsCSV(_ request: Request) throws -> Bool {
        switch try request.query("format", invalid: .invalidFormat) {
        case "csv": return true
        case "json": return false
        case nil: return request.headers[.accept]?.lowercased().contains("text/csv") ?? false
        case let other?: throw APIError.badRequest(.invalidFormat, "format is json or csv, not \(other)")
        }
    }
}
