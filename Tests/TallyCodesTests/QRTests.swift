import CZlib
import Foundation
import TallyCodes
import Testing

@Suite("QR symbols, SVG and PNG")
struct QRTests {
    let code = testRing.mint(kid: 1, serial: 1_000_000_123)!

    @Test("short URL: version 3 at level Q for hosts of up to 8 characters", arguments: ["t.cn", "tally.cn", "cofco.cn"])
    func shortHostQ(host: String) throws {
        let symbol = try QRSymbol(encoding: CodeLink.short(host: host, code: code))
        #expect(symbol.version == 3)
        #expect(symbol.width == 29)
        #expect(symbol.level == .Q)
    }

    @Test(
        "short URL: version 3 for hosts of up to 18 characters (level M where Q does not fit)",
        arguments: ["scan.cofco.cn", "q.cofco.com.cn", "loyalty.cofco.com"])
    func longerHost(host: String) throws {
        let symbol = try QRSymbol(encoding: CodeLink.short(host: host, code: code))
        #expect(symbol.version == 3)
        #expect(symbol.width == 29)
        #expect(symbol.level == .M)
        // At a fixed level Q the same content needs version 4 (33×33).
        let atQ = try QRSymbol(encoding: CodeLink.short(host: host, code: code), level: .fixed(.Q))
        #expect(atQ.version == 4 && atQ.width == 33)
    }

    @Test("GS1 Digital Link form")
    func gs1() throws {
        let url = CodeLink.gs1(host: "tally.cn", gtin: try GTIN("09506000134352"), code: code)
        let symbol = try QRSymbol(encoding: url, level: .fixed(.Q))
        #expect(symbol.version == 4)
        #expect(symbol.width == 17 + 4 * symbol.version)
    }

    @Test("empty content is refused")
    func empty() {
        #expect(throws: QRError.empty) { try QRSymbol(encoding: "") }
        #expect(throws: QRError.tooLong) { try QRSymbol(encoding: String(repeating: "x", count: 3000), level: .fixed(.H)) }
    }

    @Test("SVG is one path whose runs redraw exactly the dark modules")
    func svg() throws {
        let symbol = try QRSymbol(encoding: CodeLink.short(host: "tally.cn", code: code))
        let svg = QRSVG.render(symbol, moduleSize: 10)
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("viewBox=\"0 0 37 37\""))
        #expect(svg.contains("width=\"370\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(!svg.contains("<rect x="))
        let d = try #require(svg.components(separatedBy: " d=\"").last?.components(separatedBy: "\"").first)
        var drawn = [UInt8](repeating: 0, count: symbol.width * symbol.width)
        for subpath in d.split(separator: "z") {
            // M<x> <y>h<run>v1h-<run>
            let numbers = subpath.split(whereSeparator: { "Mhv -".contains($0) }).compactMap { Int($0) }
            let (x, y, run) = (numbers[0] - 4, numbers[1] - 4, numbers[2])
            for i in 0..<run { drawn[y * symbol.width + x + i] += 1 }
        }
        #expect(drawn == symbol.modules)
    }

    @Test("PNG: valid signature, chunk CRCs and header; pixels decode back to the modules", arguments: [1, 3, 8])
    func png(moduleSize: Int) throws {
        let symbol = try QRSymbol(encoding: CodeLink.short(host: "tally.cn", code: code))
        let png = QRPNG.render(symbol, moduleSize: moduleSize, dotsPerInch: 600)
        let image = try DecodedPNG(png)
        let side = (symbol.width + 8) * moduleSize
        #expect(image.width == side && image.height == side)
        #expect(image.chunkTypes == ["IHDR", "pHYs", "IDAT", "IEND"])
        for y in 0..<side {
            for x in 0..<side {
                let mx = x / moduleSize - 4
                let my = y / moduleSize - 4
                let dark = mx >= 0 && my >= 0 && mx < symbol.width && my < symbol.width && symbol.isDark(x: mx, y: my)
                #expect(image.isBlack(x: x, y: y) == dark)
                if image.isBlack(x: x, y: y) != dark { return }
            }
        }
    }

    @Test("an independent decoder (zbarimg) reads back exactly the URL")
    func zbar() throws {
        let url = CodeLink.short(host: "tally.cn", code: code)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(QRPNG.render(try QRSymbol(encoding: url), moduleSize: 4)).write(to: file)
        let zbarimg = try #require(
            ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "zbarimg is missing: run ops/setup (it installs zbar-tools)"
        )
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zbarimg)
        process.arguments = ["--raw", "-q", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == url)
    }
}

/// A minimal reader for the PNGs we write (1-bit greyscale), so tests check real bytes.
struct DecodedPNG {
    var width = 0
    var height = 0
    var chunkTypes: [String] = []
    private var rows: [[UInt8]] = []

    struct Invalid: Error { let reason: String }

    init(_ bytes: [UInt8]) throws {
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Invalid(reason: "signature") }
        var offset = 8
        var idat: [UInt8] = []
        func uint32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        while offset < bytes.count {
            let length = uint32(offset)
            let typeAndData = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            guard Int(crc) == uint32(offset + 8 + length) else { throw Invalid(reason: "CRC") }
            let type = String(decoding: typeAndData.prefix(4), as: UTF8.self)
            chunkTypes.append(type)
            let data = Array(typeAndData.dropFirst(4))
            if type == "IHDR" {
                width = data[0..<4].reduce(0) { $0 << 8 | Int($1) }
                height = data[4..<8].reduce(0) { $0 << 8 | Int($1) }
                guard data[8] == 1, data[9] == 0 else { throw Invalid(reason: "not 1-bit greyscale") }
            }
            if type == "IDAT" { idat += data }
            offset += 12 + length
        }
        let stride = (width + 7) / 8 + 1
        var raw = [UInt8](repeating: 0, count: stride * height)
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { uncompress(out.baseAddress, &rawLength, $0.baseAddress, uLong($0.count)) }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Invalid(reason: "inflate") }
        var previous = [UInt8](repeating: 0, count: stride - 1)
        for y in 0..<height {
            let filter = raw[y * stride]
            var row = Array(raw[(y * stride + 1)..<((y + 1) * stride)])
            switch filter {
            case 0: break
            case 2: for i in row.indices { row[i] = row[i] &+ previous[i] }
            default: throw Invalid(reason: "unexpected filter \(filter)")
            }
            rows.append(row)
            previous = row
        }
    }

    func isBlack(x: Int, y: Int) -> Bool {
        rows[y][x >> 3] & (0x80 >> UInt8(x & 7)) == 0
    }
}
