import ArgumentParser
import TallyCodes

struct MintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mint",
        abstract: "Write signed codes for a serial range, offline (no server, no database).",
        discussion: """
            Streams COUNT codes from serial FROM under key id KID, as CSV \
            (serial,code,grouped,url with a header) or as plain URLs, one per line. \
            Memory stays bounded whatever the count. Output files are created with mode 0600: \
            code files are secrets until printed.
            """
    )

    @Option(help: "Key id to sign with (must be in the key ring).")
    var kid: UInt8

    @Option(name: .customLong("from"), help: "First serial.")
    var firstSerial: UInt64

    @Option(help: "How many codes.")
    var count: UInt64

    @Option(help: "Host printed in the URLs, e.g. tally.cn.")
    var host: String

    @Option(help: "csv or txt.")
    var format: CodeLines.Format = .csv

    @Option(help: "Print GS1 Digital Link URLs for this GTIN instead of the short form.")
    var gtin: String?

    @Option(help: "Output file (default: standard output).")
    var out: String?

    @OptionGroup var keys: KeyOptions

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard firstSerial <= Code.maxSerial, count - 1 <= Code.maxSerial - firstSerial else {
            throw ValidationError("serials \(firstSerial)..<\(firstSerial &+ count) do not fit in 40 bits (max \(Code.maxSerial))")
        }
        guard HostName.isValid(host) else { throw ValidationError("--host \(host) is not a host name") }
    }

    func run() throws {
        let ring = try keys.loadRing()
        guard let key = ring.key(kid: kid) else {
            throw CommandFailure("key id \(kid) is not in the key ring (have \(ring.kids))")
        }
        let gtinValue: GTIN?
        do { gtinValue = try gtin.map { try GTIN($0) } } catch { throw ValidationError("--gtin: \(error)") }
        let lines = CodeLines(format: format, host: host, gtin: gtinValue)
        let sink = try ByteSink(path: out)
        try sink.write { $0.append(contentsOf: lines.header) }
        for serial in firstSerial..<(firstSerial + count) {
            let code = Code(kid: kid, serial: serial, tag: key.tag(serial: serial))
            try sink.write { lines.append(code, to: &$0) }
        }
        try sink.close()
    }
}

extension CodeLines.Format: ExpressibleByArgument {}
