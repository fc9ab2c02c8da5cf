import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console packaging: products, batches, activate and void, export with its audit, QR images, roles")
struct PackagingPageTests {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Everything a packaging action may touch: a refused one must leave it all as it was.
    static func snapshot(_ app: TestApp) async throws -> [Int] {
        var counts: [Int] = []
        for table in ["products", "batches", "batch_state_changes", "export_audit", "idempotency_keys", "staff_audit"] {
            counts.append(try await app.count(table))
        }
        return counts
    }

    static func audits(_ app: TestApp, _ action: String) async throws -> [(actor: String, target: String?, after: String?)] {
        let rows = try await app.database.query(
            "SELECT actor, target, after::text FROM staff_audit WHERE action = \(action) ORDER BY id", logger: TestDatabase.logger)
        var entries: [(String, String?, String?)] = []
        for try await row in rows.decode((String, String?, String?).self) { entries.append(row) }
        return entries
    }

    @Test("the packaging page in zh and en; a product created by form, its refusals shown with nothing changed; CSV of both tables")
    func products() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.packaging, name: "pat")
            let zh = try await browser.get("/console/packaging")
            #expect(zh.status == .ok && Browser.heading(zh) == "包装赋码")
            #expect(Browser.text(zh).contains("还没有产品") && Browser.text(zh).contains("/console/packaging/new-product"))
            let en = try await browser.get("/console/packaging?lang=en")
            #expect(Browser.heading(en) == "Packaging" && Browser.text(en).contains("No products yet."))

            let before = try await Self.snapshot(app)
            let badGTIN = try await browser.submit(
                "/console/packaging/new-product", from: "/console/packaging/new-product",
                form: ["sku": "RICE-1KG", "name": "Rice 1 kg", "default_points": "2", "gtin": "12345"])
            #expect(badGTIN.status == .unprocessableContent)
            #expect(Browser.text(badGTIN).contains("gtin") && Browser.text(badGTIN).contains("value=\"Rice 1 kg\""))
            let badSKU = try await browser.submit(
                "/console/packaging/new-product", from: "/console/packaging/new-product",
                form: ["sku": "rice 1kg", "name": "Rice 1 kg", "default_points": "2"])
            #expect(badSKU.status == .unprocessableContent)
            let noPoints = try await browser.submit(
                "/console/packaging/new-product", from: "/console/packaging/new-product", form: ["sku": "RICE-1KG", "name": "Rice 1 kg"])
            #expect(noPoints.status == .unprocessableContent && Browser.text(noPoints).contains("default_points is required"))
            #expect(try await Self.snapshot(app) == before)

            let created = try await browser.submit(
                "/console/packaging/new-product", from: "/console/packaging/new-product",
                form: ["sku": "RICE-1KG", "name": "Rice 1 kg", "default_points": "2", "gtin": "4006381333931"])
            #expect(created.status == .seeOther && created.headers[.location] == "/console/packaging?sku=RICE-1KG")
            let product = try await ProductStore(database: app.database, logger: TestDatabase.logger).get(sku: "RICE-1KG")
            #expect(product.defaultPoints == 2 && product.gtin == "04006381333931")
            let audit = try await Self.audits(app, "product.create")
            #expect(audit.count == 1 && audit.first?.actor == "staff:pat" && audit.first?.target == "product:RICE-1KG")
            let taken = try await browser.submit(
                "/console/packaging/new-product", from: "/console/packaging/new-product",
                form: ["sku": "RICE-1KG", "name": "Again", "default_points": "2"])
            #expect(taken.status == .conflict && Browser.text(taken).contains("already exists"))

            let batch = try await app.createBatch(#"{"sku": "RICE-1KG", "quantity": 100, "lot": "L7"}"#)
            let productsCSV = try await browser.get("/console/packaging?table=products&format=csv")
            #expect(productsCSV.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(Browser.text(productsCSV).contains("RICE-1KG,Rice 1 kg,04006381333931,2,"))
            let batchesCSV = try await browser.get("/console/packaging?sku=RICE-1KG&format=csv")
            let lines = Browser.text(batchesCSV).split(separator: "\r\n")
            #expect(lines.count == 2 && lines[1].hasPrefix("\(batch.id),RICE-1KG,100,2,L7,"))
            let otherSKU = try await browser.get("/console/packaging?sku=NONE&format=csv")
            #expect(Browser.text(otherSKU).split(separator: "\r\n").count == 1)
        }
    }

    @Test("a batch created by form (once per form), activated and voided by range, refusals changing nothing; its tables as CSV")
    func batches() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            var browser = try await app.consoleBrowser(.packaging, name: "pat")
            let form = try await browser.get("/console/packaging/new-batch?sku=RICE-5KG")
            #expect(form.status == .ok && Browser.text(form).contains("name=\"request_key\""))

            let before = try await Self.snapshot(app)
            let zero = try await browser.submit(
                "/console/packaging/new-batch", from: "/console/packaging/new-batch",
                form: ["sku": "RICE-5KG", "quantity": "0", "lot": "L1", "request_key": "form-1"])
            #expect(zero.status == .unprocessableContent && Browser.text(zero).contains("quantity is between 1 and"))
            #expect(Browser.text(zero).contains("value=\"L1\""))
            let badDates = try await browser.submit(
                "/console/packaging/new-batch", from: "/console/packaging/new-batch",
                form: [
                    "sku": "RICE-5KG", "quantity": "100", "production_date": "2026-11-24", "expiry_date": "2026-01-01",
                    "request_key": "form-1",
                ])
            #expect(badDates.status == .unprocessableContent)
            #expect(try await Self.snapshot(app) == before)

            let fields = [
                "sku": "RICE-5KG", "quantity": "100", "lot": "L1124", "region": "CN-31", "channel": "tmall", "request_key": "form-1",
            ]
            let created = try await browser.submit("/console/packaging/new-batch", from: "/console/packaging/new-batch", form: fields)
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            let id = try #require(Int64(location.replacingOccurrences(of: "/console/packaging/batches/", with: "")))
            let again = try await browser.submit("/console/packaging/new-batch", from: "/console/packaging/new-batch", form: fields)
            #expect(again.status == .seeOther && again.headers[.location] == location, "the same form twice: the same batch")
            #expect(try await app.count("batches") == 1)
            let createdAudit = try await Self.audits(app, "batch.create")
            #expect(createdAudit.count == 1 && createdAudit.first?.target == "batch:\(id)")
            let store = BatchStore(database: app.database, logger: TestDatabase.logger)
            #expect(try await store.get(id: id).createdBy == "staff:pat")

            let zh = try await browser.get(location)
            #expect(zh.status == .ok && Browser.heading(zh) == "批次 \(id)")
            #expect(Browser.text(zh).contains("/activate") && Browser.text(zh).contains("/void"))
            let en = try await browser.get(location + "?lang=en")
            #expect(Browser.heading(en) == "Batch \(id)" && Browser.text(en).contains("Codes by state"))

            let activated = try await browser.submit("\(location)/activate", from: location, form: ["from": "0", "count": "50"])
            #expect(activated.status == .seeOther)
            let voided = try await browser.submit(
                "\(location)/void", from: location, form: ["from": "10", "count": "5", "reason": "roll stolen from line 3"])
            #expect(voided.status == .seeOther)
            let batch = try await store.get(id: id)
            #expect(
                batch.ranges == [
                    BatchRange(from: 0, count: 10, state: .active), BatchRange(from: 10, count: 5, state: .voided),
                    BatchRange(from: 15, count: 35, state: .active), BatchRange(from: 50, count: 50, state: .created),
                ])
            #expect(try await Self.audits(app, "batch.activate").count == 1)
            let voidAudit = try await Self.audits(app, "batch.void")
            #expect(voidAudit.count == 1 && voidAudit.first?.after?.contains("roll stolen from line 3") == true)
            let page = Browser.text(try await browser.get(location))
            #expect(page.contains("roll stolen from line 3") && page.contains("staff:pat"))

            // Refused: outside the batch, without a reason, with no range, activating voided codes.
            let unchanged = try await Self.snapshot(app)
            let outside = try await browser.submit(
                "\(location)/void", from: location, form: ["from": "95", "count": "10", "reason": "lost"])
            #expect(outside.status == .unprocessableContent && Browser.text(outside).contains("count must be between 1 and 5"))
            let noReason = try await browser.submit("\(location)/void", from: location, form: ["from": "60", "count": "5"])
            #expect(noReason.status == .unprocessableContent && Browser.text(noReason).contains("voiding needs a reason"))
            let noRange = try await browser.submit("\(location)/void", from: location, form: ["reason": "everything"])
            #expect(noRange.status == .unprocessableContent)
            let reactivate = try await browser.submit("\(location)/activate", from: location, form: ["from": "12", "count": "1"])
            #expect(reactivate.status == .conflict && Browser.text(reactivate).contains("voided codes cannot be activated"))
            #expect(try await Self.snapshot(app) == unchanged)
            #expect(try await store.get(id: id).ranges == batch.ranges)

            let rangesCSV = Browser.text(try await browser.get("\(location)?table=ranges&format=csv")).split(separator: "\r\n")
            #expect(rangesCSV.count == 5 && rangesCSV[2] == "10,14,5,voided")
            let changesCSV = Browser.text(try await browser.get("\(location)?table=changes&format=csv")).split(separator: "\r\n")
            #expect(changesCSV.count == 3 && changesCSV[1].hasSuffix(",voided,10,5,roll stolen from line 3,staff:pat"))
        }
    }

    @Test("export: the downloaded CSV has the batch's codes and the export audit lists it; QR images for codes, 404 outside")
    func export() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            var browser = try await app.consoleBrowser(.packaging, name: "pat")
            let path = "/console/packaging/batches/\(batch.id)"
            let download = try await browser.get("\(path)/codes?format=csv&from=10&count=20")
            #expect(download.status == .ok && download.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = Browser.text(download).split(whereSeparator: \.isNewline)
            #expect(lines.count == 21)
            for sequence: Int64 in [10, 29] { #expect(Browser.text(download).contains(app.code(batch, sequence).grouped)) }
            #expect(!Browser.text(download).contains(app.code(batch, 30).grouped))
            let records = try await ExportAudit(database: app.database, logger: TestDatabase.logger).list(batchID: batch.id)
            #expect(records.count == 1 && records.first?.actor == "staff:pat" && records.first?.kind == "csv")
            #expect(records.first?.from == 10 && records.first?.count == 20)
            #expect(try await Self.audits(app, "batch.export").count == 1)
            let page = Browser.text(try await browser.get(path))
            #expect(
                page.contains("导出记录") && page.contains("<td>staff:pat</td><td>csv</td><td class=\"num\">10</td><td class=\"num\">20</td>"))
            let exportsCSV = Browser.text(try await browser.get("\(path)?table=exports&format=csv")).split(separator: "\r\n")
            #expect(exportsCSV.count == 2 && exportsCSV[1].hasSuffix(",staff:pat,csv,10,20"))

            // Outside the batch: refused before anything is recorded.
            let before = try await Self.snapshot(app)
            #expect(try await browser.get("\(path)/codes?format=csv&from=90&count=20").status == .unprocessableContent)
            #expect(try await browser.get("\(path)/codes/100.png").status == .notFound)
            #expect(try await browser.get("/console/packaging/batches/999999/codes/1.png").status == .notFound)
            #expect(try await Self.snapshot(app) == before)

            // The page shows the image of a code through the console's own route.
            let shown = Browser.text(try await browser.get("\(path)?code=7&image=png"))
            #expect(shown.contains("<img src=\"\(path)/codes/7.png\""))
            let png = try await browser.get("\(path)/codes/7.png")
            #expect(png.status == .ok && png.headers[.contentType] == "image/png")
            #expect(Array(Array(buffer: png.body).prefix(8)) == Self.pngSignature)
            let api = try await app.request(.get, "/api/v1/batches/\(batch.id)/codes/7.png")
            #expect(Array(buffer: api.body) == Array(buffer: png.body), "the same image as the API's")
            let svg = try await browser.get("\(path)/codes/7.svg")
            #expect(svg.status == .ok && svg.headers[.contentType] == "image/svg+xml" && Browser.text(svg).contains("<svg"))
            let zip = try await browser.get("\(path)/codes?format=png&from=0&count=3")
            #expect(zip.status == .ok && zip.headers[.contentType] == "application/zip")
            #expect(Array(Array(buffer: zip.body).prefix(2)) == [0x50, 0x4B])
            let kinds = try await ExportAudit(database: app.database, logger: TestDatabase.logger).list(batchID: batch.id).map(\.kind)
            #expect(kinds == ["zip", "svg", "png", "png", "csv"], "newest first; the API's image is recorded too")
        }
    }

    @Test("viewers and marketers see packaging but no buttons, and get 403 for every packaging action by URL and by form")
    func roles() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let path = "/console/packaging/batches/\(batch.id)"
            for role in [StaffRole.viewer, .marketer, .service] {
                var browser = try await app.consoleBrowser(role)
                let overview = try await browser.get("/console/packaging")
                #expect(overview.status == .ok && Browser.text(overview).contains("RICE-5KG"))
                #expect(!Browser.text(overview).contains("new-product") && !Browser.text(overview).contains("new-batch"))
                let detail = try await browser.get(path)
                #expect(detail.status == .ok)
                for action in ["/activate", "/void", "/codes\""] { #expect(!Browser.text(detail).contains(action)) }
                let before = try await Self.snapshot(app)
                for url in [
                    "/console/packaging/new-product", "/console/packaging/new-batch", "\(path)/codes?format=csv", "\(path)/codes/1.png",
                    "\(path)/codes/1.svg",
                ] {
                    #expect(try await browser.get(url).status == .forbidden, "\(role) GET \(url)")
                }
                let forms: [(String, [String: String])] = [
                    ("/console/packaging/new-product", ["sku": "CUP", "name": "Cup", "default_points": "1"]),
                    ("/console/packaging/new-batch", ["sku": "RICE-5KG", "quantity": "10", "request_key": "x"]),
                    ("\(path)/activate", [:]), ("\(path)/void", ["from": "0", "count": "1", "reason": "test"]),
                ]
                for (action, form) in forms {
                    #expect(
                        try await browser.submit(action, from: "/console/packaging", form: form).status == .forbidden,
                        "\(role) POST \(action)")
                }
                #expect(try await Self.snapshot(app) == before)
            }
            // The packaging role may.
            var line = try await app.consoleBrowser(.packaging)
            #expect(try await line.submit("\(path)/activate", from: path, form: [:]).status == .seeOther)
            #expect(try await line.get("\(path)/codes/1.png").status == .ok)
            #expect(
                try await BatchStore(database: app.database, logger: TestDatabase.logger).get(id: batch.id).ranges.map(\.state) == [.active]
            )
        }
    }
}
