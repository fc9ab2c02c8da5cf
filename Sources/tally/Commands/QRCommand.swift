import ArgumentParser
import Foundation
import TallyCodes

struct QRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr",
        abstract: "Render one code or URL as a QR image (SVG or PNG).",
        discussion: """
            Given a URL, encodes it exactly. Given a code, encodes https://HOST/Q/CODE \
            (or the GS1 Digital Link form with --gtin); the code's check character must be right. \
            Error correction 'auto' means level Q, or M where that keeps the symbol at version 3 (29×29).
            """
    )

    @Argument(help: "A code (grouped or not) or a full URL.")
    var input: String

    @Option(help: "svg or png.")
    var format: ImageFormat

    @Option(help: "Output file.")
    var out: String

    @Option(help: "Host for the URL when INPUT is a code.")
    var host: String?

    @Option(help: "GTIN for a GS1 Digital Link URL when INPUT is a code.")
    var gtin: String?

    @Option(help: "Error correction: auto, L, M, Q or H.")
    var ec: String = "auto"

    @Option(name: .customLong("module-size"), help: "Pixels per module (PNG) or nominal pixels (SVG).")
    var moduleSize: Int = 8

    @Option(help: "Print resolution recorded in the PNG (dots per inch).")
    var dpi: Int?

    enum ImageFormat: String, ExpressibleByArgument { case svg, png }

    func validate() throws {
        guard (1...100).contains(moduleSize) else { throw ValidationError("--module-size must be 1...100") }
        guard ec == "auto" || QRLevel(rawValue: ec.uppercased()) != nil else { throw ValidationError("--ec must be auto, L, M, Q or H") }
    }

    func run() throws {
        let level: QRLevelChoice = ec == "auto" ? .automatic : .fixed(QRLevel(rawValue: ec.uppercased())!)
        let symbol = try QRSymbol(encoding: try content(), level: level)
        let bytes: [UInt8] =
            switch format {
            case .svg: Array(QRSVG.render(symbol, moduleSize: moduleSize).utf8)
            case .png: QRPNG.render(symbol, moduleSize: moduleSize, dotsPerInch: dpi)
            }
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(
            Data("wrote \(out): QR version \(symbol.version) (\(symbol.width)×\(symbol.width)), level \(symbol.level)\n".utf8))
    }

    private func content() throws -> String {
        if input.contains("://") { return input }
        guard let text = CodeInput.normalised(input) else { throw ValidationError("\(input) is neither a URL nor a code") }
        guard case .success(let symbols) = CodeInput.symbols(of: text), DammCheck.isValid(symbols) else {
            throw CommandFailure("\(input): the check character does not match; re-check the code")
        }
        guard let host, HostName.isValid(host) else { throw ValidationError("give --host to build a URL for a code") }
        if let gtin {
            do { return "https://\(host.lowercased())/01/\(try GTIN(gtin).digits)/21/\(text)" } catch {
                throw ValidationError("--gtin: \(error)")
            }
        }
        return "https://\(host.lowercased())/Q/\(text)"
    }
}
