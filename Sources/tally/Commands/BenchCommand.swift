import ArgumentParser
import CQRencode
import Crypto
import Foundation
import TallyCodes

/// Micro benchmarks of the code format and QR rendering, with the ratios the targets are set in:
/// minting+encoding ≥ 50% of raw HMAC-SHA256, QR → PNG ≥ 70% of libqrencode alone.
/// Build in release mode (`ops/bench` does) for meaningful numbers.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure codes minted, codes verified and QR images rendered per second."
    )

    @Option(help: "Seconds to run each case.")
    var seconds: Double = 2

    @Option(help: "Host used in the benchmarked URLs.")
    var host: String = "tally.cn"

    @Option(name: .customLong("module-size"), help: "PNG pixels per module.")
    var moduleSize: Int = 8

    @Flag(help: "Exit with status 1 if a target ratio is missed.")
    var check = false

    func run() throws {
        let keyBytes = SigningKey.randomBytes()
        let key = try SigningKey(kid: 1, bytes: keyBytes)
        let ring = try KeyRing([key])
        let symmetricKey = SymmetricKey(data: keyBytes)
        let codes = (0..<1024).map { ring.mint(kid: 1, serial: 1_000_000 + UInt64($0) * 7919)! }
        let texts = codes.map(\.text)
        let urls = codes.map { CodeLink.short(host: host, code: $0) }
        var sink: UInt64 = 0

        let hmac = measure("HMAC-SHA256 (raw, 12-byte message)") { i in
            var message: [UInt8] = Array("TALLY1".utf8) + [1, 0, 0, 0, 0, 0]
            message[11] = UInt8(truncatingIfNeeded: i)
            message[10] = UInt8(truncatingIfNeeded: i >> 8)
            let mac = HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey)
            sink &+= UInt64(mac.withUnsafeBytes { $0[0] })
        }
        let mint = measure("codes minted + encoded") { i in
            withUnsafeTemporaryAllocation(byteCount: Code.symbolCount, alignment: 1) { buffer in
                Code(kid: 1, serial: UInt64(i), tag: key.tag(serial: UInt64(i))).writeASCII(into: buffer)
                sink &+= UInt64(buffer[17])
            }
        }
        let verify = measure("codes parsed + verified") { i in
            if case .valid(let code) = ring.check(texts[i & 1023]) { sink &+= code.serial }
        }
        let qrencode = measure("QR encode (libqrencode alone)") { i in
            let symbol = QRcode_encodeString(urls[i & 1023], 0, QR_ECLEVEL_Q, QR_MODE_8, 1)!
            sink &+= UInt64(symbol.pointee.width)
            QRcode_free(symbol)
        }
        let svg = measure("QR → SVG") { i in
            sink &+= UInt64(QRSVG.render(try! QRSymbol(encoding: urls[i & 1023]), moduleSize: moduleSize).utf8.count)
        }
        let png = measure("QR → PNG (module \(moduleSize) px)") { i in
            sink &+= UInt64(QRPNG.render(try! QRSymbol(encoding: urls[i & 1023]), moduleSize: moduleSize).count)
        }
        _ = verify
        _ = svg

        let mintRatio = mint / hmac
        let pngRatio = png / qrencode
        print("")
        print(String(format: "mint+encode / raw HMAC  = %.2f  (target ≥ 0.50) %@", mintRatio, mintRatio >= 0.5 ? "ok" : "MISSED"))
        print(String(format: "QR → PNG / libqrencode  = %.2f  (target ≥ 0.70) %@", pngRatio, pngRatio >= 0.7 ? "ok" : "MISSED"))
        if sink == 42 { print("") } // keeps the measured work observable to the optimiser
        if check && (mintRatio < 0.5 || pngRatio < 0.7) { throw ExitCode(1) }
    }

    /// Runs `body` repeatedly for `seconds` and prints and returns operations per second.
    private func measure(_ name: String, _ body: (Int) -> Void) -> Double {
        let clock = ContinuousClock()
        for i in 0..<200 { body(i) } // warm up
        var count = 0
        let start = clock.now
        let deadline = start.advanced(by: .milliseconds(Int(seconds * 1000)))
        while clock.now < deadline {
            for _ in 0..<64 {
                body(count)
                count += 1
            }
        }
        let elapsed = start.duration(to: clock.now)
        let perSecond = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        print(name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%12.0f /s", perSecond))
        return perSecond
    }
}
