import Foundation
import Hummingbird
import TallyCodes
import TallyCore

/// `/console/packaging/batches/{id}`: a batch, its codes by state, its state changes and its
/// export audit (tables and CSV); activating or voiding a range with a reason, downloading its
/// codes and showing the QR image of any code (`editPackaging`). The downloads and images are
/// the API's own (`CodeExport`), recorded in the export audit as the API records them.
struct BatchPage {
    let batches: BatchStore
    let exports: ExportAudit
    let export: CodeExport
    let audit: StaffAudit

    init(_ deps: Dependencies) {
        batches = deps.batches
        exports = deps.exportAudit
        export = CodeExport(deps)
        audit = deps.staffAudit
    }

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/packaging/batches/{id}", .packaging, .viewPackaging) { console in try await show(console) }
        routes.action("/console/packaging/batches/{id}/activate", .packaging, .editPackaging) { console, form in
            try await change(console, form, to: .active)
        }
        routes.action("/console/packaging/batches/{id}/void", .packaging, .editPackaging) { console, form in
            try await change(console, form, to: .voided)
        }
        routes.page("/console/packaging/batches/{id}/codes", .packaging, .editPackaging) { console in try await download(console) }
        routes.page("/console/packaging/batches/{id}/codes/{seq}.png", .packaging, .editPackaging) { console in
            try await image(console, kind: .png)
        }
        routes.page("/console/packaging/batches/{id}/codes/{seq}.svg", .packaging, .editPackaging) { console in
            try await image(console, kind: .svg)
        }
    }

    /// What a state change's audit entry records before and after: the batch's runs by state,
    /// and what was asked.
    struct StateRecord: Encodable, Sendable {
        let ranges: [BatchRange]
        var from: Int64? = nil
        var count: Int64? = nil
        var reason: String? = nil
    }

    /// What an export's audit entry records.
    struct ExportRecordAudit: Encodable, Sendable {
        let kind: String
        let from: Int64
        let count: Int64
    }

    private func batchID(_ console: ConsoleRequest) throws -> Int64 {
        let text = console.context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw StoreError(.notFound, .batchNotFound, "no batch \(text)") }
        return id
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let batch = try await batches.get(id: try batchID(console))
        let path = "/console/packaging/batches/\(batch.id)"
        let stateChanges = try await batches.stateChanges(batchID: batch.id)
        let exportRecords = try await exports.list(batchID: batch.id)
        let ranges = ConsoleTable(
            caption: lang("各状态的码段", "Codes by state"),
            columns: [
                .init(lang("起始序号", "From"), numeric: true), .init(lang("结束序号", "To"), numeric: true),
                .init(lang("数量", "Count"), numeric: true), .init(lang("状态", "State")),
            ],
            rows: batch.ranges.map { run -> [ConsoleTable.Cell] in
                [.init(run.from), .init(run.from + run.count - 1), .init(run.count), Self.state(run.state, lang)]
            },
            empty: "—")
        let changes = ConsoleTable(
            caption: lang("状态变更", "State changes"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("状态", "State")), .init(lang("起始序号", "From"), numeric: true),
                .init(lang("数量", "Count"), numeric: true), .init(lang("原因", "Reason")), .init(lang("操作人", "Who")),
            ],
            rows: stateChanges.reversed().map { change -> [ConsoleTable.Cell] in
                [
                    .init(ConsoleFormat.time(change.at, lang: lang)), Self.state(change.state, lang), .init(change.from),
                    .init(change.count),
                    .init(change.reason ?? ""), .init(change.actor ?? ""),
                ]
            },
            empty: lang("还没有激活或作废过。", "Nothing activated or voided yet."))
        let exported = ConsoleTable(
            caption: lang("导出记录", "Export audit"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("操作人", "Who")), .init(lang("格式", "Format")),
                .init(lang("起始序号", "From"), numeric: true), .init(lang("数量", "Count"), numeric: true),
            ],
            rows: exportRecords.map { record -> [ConsoleTable.Cell] in
                [
                    .init(ConsoleFormat.time(record.at, lang: lang)), .init(record.actor), .init(record.kind), .init(record.from),
                    .init(record.count),
                ]
            },
            empty: lang("还没有导出过。", "Not exported yet."))
        if console.wantsCSV {
            switch console.query("table") {
            case "changes": return console.csv(changes, name: "batch-\(batch.id)-changes")
            case "exports": return console.csv(exported, name: "batch-\(batch.id)-exports")
            default: return console.csv(ranges, name: "batch-\(batch.id)-codes")
            }
        }
        let last = batch.quantity - 1
        var body: HTML = """
            <p><a href="\(ConsoleURL.make("/console/packaging", [("sku", batch.sku)]))">\(lang("返回批次列表", "Back to the batches"))</a></p>
            <dl class="facts card">
            <dt>SKU</dt><dd>\(batch.sku)</dd>
            <dt>\(lang("数量", "Quantity"))</dt><dd>\(ConsoleFormat.number(batch.quantity)) \(lang("（序号 0 至", "(sequences 0 to")) \(last)\(lang("）", ")"))</dd>
            <dt>\(lang("序列号", "Serials"))</dt><dd>\(batch.firstSerial) – \(batch.firstSerial + last) · kid \(batch.kid)</dd>
            <dt>\(lang("每码积分", "Points per code"))</dt><dd>\(batch.pointsPerCode)</dd>
            <dt>\(lang("批号", "Lot"))</dt><dd>\(batch.lot ?? "—")</dd>
            <dt>\(lang("生产 / 到期", "Produced / expires"))</dt><dd>\(batch.productionDate ?? "—") / \(batch.expiryDate ?? "—")</dd>
            <dt>\(lang("地区", "Region"))</dt><dd>\(batch.region ?? "—")</dd>
            <dt>\(lang("渠道", "Channel"))</dt><dd>\(batch.channel ?? "—")</dd>
            <dt>\(lang("网址形式", "URL form"))</dt><dd>\(batch.urlForm)</dd>
            <dt>\(lang("创建", "Created"))</dt><dd>\(ConsoleFormat.time(batch.createdAt, lang: lang)) · \(batch.createdBy ?? "—")</dd>
            </dl>
            """
        body += ranges.html(csvURL: ConsoleURL.make(path, [("table", "ranges"), ("format", "csv")]), lang: lang)
        if console.may(.editPackaging) { body += actions(batch, console: console) }
        body += "<h2>\(lang("状态变更", "State changes"))</h2>"
        body += changes.html(csvURL: ConsoleURL.make(path, [("table", "changes"), ("format", "csv")]), lang: lang)
        body += "<h2>\(lang("导出记录", "Export audit"))</h2>"
        body += exported.html(csvURL: ConsoleURL.make(path, [("table", "exports"), ("format", "csv")]), lang: lang)
        return console.page(.packaging, title: lang("批次 ", "Batch ") + String(batch.id), body)
    }

    /// The forms of a batch: activate, void, export, and the QR image of a code.
    private func actions(_ batch: Batch, console: ConsoleRequest) -> HTML {
        let lang = console.lang
        let path = "/console/packaging/batches/\(batch.id)"
        let last = batch.quantity - 1
        let rangeHint = lang("序号 0 至 ", "sequences 0 to ") + String(last)
        var html: HTML = """
            <h2>\(lang("激活", "Activate"))</h2>
            <p>\(lang("印刷确认后激活；起始与数量留空即整批。已作废的码不能再激活。", "Activate once printing is confirmed; leave from and count empty for the whole batch. Voided codes can never be activated."))</p>
            <form class="inline card" method="post" action="\(path)/activate">\(ConsoleForm.csrfField(console.csrf))
            \(ConsoleForm.field(lang("起始序号", "From (sequence)"), name: "from", type: "number", extra: "min=\"0\" max=\"\(last)\""))
            \(ConsoleForm.field(lang("数量", "Count"), name: "count", type: "number", extra: "min=\"1\""))
            \(ConsoleForm.field(lang("原因（可选）", "Reason (optional)"), name: "reason", extra: "maxlength=\"500\""))
            <button type="submit">\(lang("激活", "Activate"))</button></form>
            <h2>\(lang("作废", "Void"))</h2>
            <p>\(lang("作废不可撤销（例如一卷码丢失）。", "Voiding is final (a roll went missing, say).")) \(rangeHint)</p>
            <form class="inline card" method="post" action="\(path)/void">\(ConsoleForm.csrfField(console.csrf))
            \(ConsoleForm.field(lang("起始序号", "From (sequence)"), name: "from", type: "number", required: true, extra: "min=\"0\" max=\"\(last)\""))
            \(ConsoleForm.field(lang("数量", "Count"), name: "count", type: "number", required: true, extra: "min=\"1\""))
            \(ConsoleForm.field(lang("原因", "Reason"), name: "reason", required: true, extra: "maxlength=\"500\""))
            <button type="submit" class="danger">\(lang("作废", "Void"))</button></form>
            <h2>\(lang("导出码", "Export codes"))</h2>
            <p>\(lang("每次导出都记录在导出记录中。印刷前，码文件等同于其中的积分。", "Every export is recorded in the export audit. Until printed, a code file is as good as the points in it."))</p>
            <form class="inline card" method="get" action="\(path)/codes">
            \(ConsoleForm.select(lang("格式", "Format"), name: "format", options: [("csv", "CSV"), ("txt", lang("网址列表 TXT", "URL list (TXT)")), ("png", lang("PNG 图片 ZIP", "PNG images (ZIP)")), ("svg", lang("SVG 图片 ZIP", "SVG images (ZIP)"))], selected: "csv"))
            \(ConsoleForm.field(lang("起始序号", "From (sequence)"), name: "from", type: "number", extra: "min=\"0\" max=\"\(last)\""))
            \(ConsoleForm.field(lang("数量（留空为全部）", "Count (empty: all)"), name: "count", type: "number", extra: "min=\"1\""))
            <button type="submit">\(lang("下载", "Download"))</button></form>
            <h2>\(lang("二维码图片", "QR image"))</h2>
            <form class="inline card" method="get" action="\(path)">
            \(ConsoleForm.field(lang("序号", "Sequence"), name: "code", value: console.query("code"), type: "number", required: true, extra: "min=\"0\" max=\"\(last)\""))
            \(ConsoleForm.select(lang("格式", "Format"), name: "image", options: [("png", "PNG"), ("svg", "SVG")], selected: console.query("image") ?? "png"))
            <button type="submit">\(lang("显示", "Show"))</button></form>
            """
        if let text = console.query("code") {
            if let sequence = Int64(text), sequence >= 0, sequence < batch.quantity {
                let kind = console.query("image") == "svg" ? "svg" : "png"
                let src = "\(path)/codes/\(sequence).\(kind)"
                html += """
                    <figure class="card"><img src="\(src)" width="232" height="232" alt="\(lang("序号 ", "QR code of sequence "))\(sequence)">\
                    <figcaption><a href="\(src)" download>\(lang("下载图片", "Download the image"))</a></figcaption></figure>
                    """
            } else {
                html +=
                    "<div class=\"notice bad\" role=\"alert\">\(lang("这个批次没有此序号：", "This batch has no such sequence: "))\(rangeHint)</div>"
            }
        }
        return html
    }

    private static func state(_ state: CodeState, _ lang: ConsoleLanguage) -> ConsoleTable.Cell {
        switch state {
        case .created: .init(state.rawValue, html: "<span class=\"badge\">\(lang("未激活", "created"))</span>")
        case .active: .init(state.rawValue, html: "<span class=\"badge good\">\(lang("已激活", "active"))</span>")
        case .voided: .init(state.rawValue, html: "<span class=\"badge bad\">\(lang("已作废", "voided"))</span>")
        }
    }

    private func change(_ console: ConsoleRequest, _ form: ConsoleFormBody, to state: CodeState) async throws -> Response {
        let lang = console.lang
        let id = try batchID(console)
        let from = try CatalogueInput.integer(form["from"], field: "from", invalid: .invalidFrom)
        let count = try CatalogueInput.integer(form["count"], field: "count", invalid: .invalidCount)
        // The console never voids a whole batch by a form left empty.
        if state == .voided && (from == nil || count == nil) {
            throw StoreError(.invalid, .invalidRange, lang("作废需要填写起始序号和数量。", "Give the range to void: from and count."))
        }
        let before = try await batches.get(id: id)
        let after = try await batches.changeState(
            batchID: id, to: state, from: from, count: count, reason: form["reason"], actor: console.session.actor)
        try await audit.record(
            console.audit, action: state == .active ? "batch.activate" : "batch.void", target: "batch:\(id)",
            before: StateRecord(ranges: before.ranges),
            after: StateRecord(ranges: after.ranges, from: from, count: count, reason: form["reason"]))
        return console.done(
            "/console/packaging/batches/\(id)", notice: state == .active ? lang("已激活。", "Activated.") : lang("已作废。", "Voided."))
    }

    private func download(_ console: ConsoleRequest) async throws -> Response {
        let (batch, key) = try await export.exportable(batchID: try batchID(console))
        let from = try CatalogueInput.integer(console.query("from"), field: "from", invalid: .invalidFrom)
        let count = try CatalogueInput.integer(console.query("count"), field: "count", invalid: .invalidCount)
        let actor = console.session.actor
        let response: Response
        let record: ExportRecordAudit
        switch console.query("format") ?? "csv" {
        case "csv", "txt":
            let format: CodeLines.Format = console.query("format") == "txt" ? .txt : .csv
            let (start, length) = try BatchStore.subrange(from: from, count: count, quantity: batch.quantity)
            response = try await export.lines(batch, key: key, format: format, from: start, count: length, actor: actor)
            record = ExportRecordAudit(kind: format == .csv ? "csv" : "txt", from: start, count: length)
        case "png", "svg":
            let kind: ExportAudit.Kind = console.query("format") == "svg" ? .svg : .png
            let (start, length) = try CodeExport.zipRange(from: from, count: count, batch: batch)
            response = try await export.zip(batch, key: key, kind: kind, from: start, count: length, moduleSize: 8, actor: actor)
            record = ExportRecordAudit(kind: "zip-\(kind.rawValue)", from: start, count: length)
        default:
            throw StoreError(.invalid, .invalidFormat, console.lang("格式为 csv、txt、png 或 svg。", "The format is csv, txt, png or svg."))
        }
        // Recorded before the first byte leaves, as the export audit itself is.
        try await audit.record(console.audit, action: "batch.export", target: "batch:\(batch.id)", before: nil, after: record)
        return response
    }

    private func image(_ console: ConsoleRequest, kind: ExportAudit.Kind) async throws -> Response {
        let (batch, key) = try await export.exportable(batchID: try batchID(console))
        let sequence = console.context.parameters.get("seq").flatMap { Int64($0) }
        let moduleSize = try CatalogueInput.int(console.query("module_size"), field: "module_size", invalid: .invalidModuleSize) ?? 8
        guard (1...40).contains(moduleSize) else {
            throw StoreError(.invalid, .invalidModuleSize, "module_size is between 1 and 40")
        }
        let response = try await export.image(
            batch, key: key, sequence: sequence, kind: kind, moduleSize: moduleSize, actor: console.session.actor)
        try await audit.record(
            console.audit, action: "batch.export", target: "batch:\(batch.id)", before: nil,
            after: ExportRecordAudit(kind: kind.rawValue, from: sequence ?? 0, count: 1))
        return response
    }
}
