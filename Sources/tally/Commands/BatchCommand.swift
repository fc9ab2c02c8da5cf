import ArgumentParser
import Foundation
import TallyCodes
import TallyCore

/// The packaging line's batch operations, straight against the database, for lines
/// without network access to the server. Audited as `cli:<user>@<host>`.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Create, activate, void and export code batches, directly in the database.",
        subcommands: [Create.self, Activate.self, Void.self, Export.self, Show.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allocate a serial range under the newest key.")

        @Option var sku: String
        @Option var quantity: Int64
        @Option(help: "Points per code (default: the product's).") var points: Int?
        @Option var lot: String?
        @Option(name: .customLong("production-date"), help: "YYYY-MM-DD") var productionDate: String?
        @Option(name: .customLong("expiry-date"), help: "YYYY-MM-DD") var expiryDate: String?
        @Option var region: String?
        @Option var channel: String?
        @Option(name: .customLong("url-form"), help: "short or gs1") var urlForm: String?
        @Option(name: .customLong("points-valid-months"), help: "Months the points stay spendable (0: never; default: the programme's).")
        var pointsValidMonths: Int?
        @OptionGroup var keys: KeyOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let kid = try keys.loadRing().newestKid
            let order = NewBatch(
                sku: sku, quantity: quantity, pointsPerCode: points, lot: lot, productionDate: productionDate,
                expiryDate: expiryDate, region: region, channel: channel, urlForm: urlForm,
                pointsValidMonths: pointsValidMonths
            )
            let batch = try await database.withDatabase { client, logger in
                try await BatchStore(database: client, logger: logger).create(order, kid: kid, actor: commandLineActor)
            }
            print(describe(batch))
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate codes once printing is confirmed (all, or --from/--count).")

        @Argument(help: "Batch id.") var id: Int64
        @Option(help: "First sequence (default 0).") var from: Int64?
        @Option(help: "How many codes (default: the rest of the batch).") var count: Int64?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let batch = try await database.withDatabase { client, logger in
                try await BatchStore(database: client, logger: logger)
                    .changeState(batchID: id, to: .active, from: from, count: count, reason: nil, actor: commandLineActor)
            }
            print(describe(batch))
        }
    }

    struct Void: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Void codes for good (all, or --from/--count), e.g. a stolen roll.")

        @Argument(help: "Batch id.") var id: Int64
        @Option var from: Int64?
        @Option var count: Int64?
        @Option(help: "Why, for the audit trail.") var reason: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let batch = try await database.withDatabase { client, logger in
                try await BatchStore(database: client, logger: logger)
                    .changeState(batchID: id, to: .voided, from: from, count: count, reason: reason, actor: commandLineActor)
            }
            print(describe(batch))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a batch and the state of its codes.")

        @Argument(help: "Batch id.") var id: Int64
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let batch = try await database.withDatabase { client, logger in
                try await BatchStore(database: client, logger: logger).get(id: id)
            }
            print(describe(batch))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a batch's codes (CSV or URLs) for printing; audited.")

        @Argument(help: "Batch id.") var id: Int64
        @Option var from: Int64?
        @Option var count: Int64?
        @Option(help: "csv or txt.") var format: CodeLines.Format = .csv
        @Option(help: "Host printed in the URLs. Default: $TALLY_PUBLIC_HOST.") var host: String?
        @Option(help: "Output file (created 0600; default: standard output).") var out: String?
        @OptionGroup var keys: KeyOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let host = host ?? ProcessInfo.processInfo.environment["TALLY_PUBLIC_HOST"], HostName.isValid(host) else {
                throw ValidationError("give --host (or set TALLY_PUBLIC_HOST) for the URLs")
            }
            let ring = try keys.loadRing()
            let (batch, start, length) = try await database.withDatabase { client, logger in
                let batch = try await BatchStore(database: client, logger: logger).get(id: id)
                let (start, length) = try BatchStore.subrange(from: from, count: count, quantity: batch.quantity)
                try await ExportAudit(database: client, logger: logger)
                    .record(batchID: batch.id, actor: commandLineActor, kind: format == .csv ? .csv : .txt, from: start, count: length)
                return (batch, start, length)
            }
            guard let key = ring.key(kid: UInt8(batch.kid)) else {
                throw CommandFailure("batch \(batch.id) is signed with key \(batch.kid), which is not in the key ring")
            }
            let gtin = try batch.urlForm == "gs1" ? batch.gtin.map { try GTIN($0) } : nil
            let lines = CodeLines(format: format, host: host, gtin: gtin, sequenceOrigin: UInt64(batch.firstSerial))
            let sink = try ByteSink(path: out)
            try sink.write { $0.append(contentsOf: lines.header) }
            let first = UInt64(batch.firstSerial + start)
            for serial in first..<(first + UInt64(length)) {
                try sink.write { lines.append(Code(kid: UInt8(batch.kid), serial: serial, tag: key.tag(serial: serial)), to: &$0) }
            }
            try sink.close()
        }
    }
}

private func describe(_ batch: Batch) -> String {
    let ranges = batch.ranges.map { "\($0.state.rawValue) \($0.from)..<\($0.from + $0.count)" }.joined(separator: ", ")
    return
        "batch \(batch.id): \(batch.quantity) × \(batch.sku), kid \(batch.kid), serials \(batch.firstSerial)..<\(batch.firstSerial + batch.quantity), \(batch.pointsPerCode) pts; \(ranges)"
}
