import CZlib

/// Renders a QR symbol as a 1-bit greyscale PNG, compressed with the system's zlib.
///
/// Each module row is drawn once; the `moduleSize - 1` pixel rows that repeat it use
/// PNG's "Up" filter and so become rows of zeros, which deflate to almost nothing.
public enum QRPNG {
    public static func render(_ symbol: QRSymbol, moduleSize: Int = 8, dotsPerInch: Int? = nil) -> [UInt8] {
        let scale = max(1, moduleSize)
        let quiet = QRSymbol.quietZone
        let pixels = (symbol.width + 2 * quiet) * scale
        let rowBytes = (pixels + 7) / 8
        let stride = rowBytes + 1 // filter byte + pixels

        // Raw scanlines: 0 bits are black, 1 bits white (greyscale, bit depth 1).
        var raw = [UInt8](repeating: 0, count: stride * pixels)
        raw.withUnsafeMutableBufferPointer { raw in
            var moduleRow = [UInt8](repeating: 0xFF, count: rowBytes)
            for moduleY in 0..<(symbol.width + 2 * quiet) {
                let y = moduleY - quiet
                for i in 0..<rowBytes { moduleRow[i] = 0xFF }
                if y >= 0 && y < symbol.width {
                    for x in 0..<symbol.width where symbol.isDark(x: x, y: y) {
                        let first = (x + quiet) * scale
                        for px in first..<(first + scale) {
                            moduleRow[px >> 3] &= ~(0x80 >> UInt8(px & 7))
                        }
                    }
                }
                let top = moduleY * scale * stride
                raw[top] = 0 // filter: None
                for i in 0..<rowBytes { raw[top + 1 + i] = moduleRow[i] }
                for repeatRow in 1..<scale {
                    raw[top + repeatRow * stride] = 2 // filter: Up; the row bytes stay zero
                }
            }
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        appendUInt32(UInt32(pixels), to: &header)
        appendUInt32(UInt32(pixels), to: &header)
        header += [1, 0, 0, 0, 0] // bit depth 1, greyscale, deflate, adaptive filters, no interlace
        appendChunk("IHDR", header, to: &png)
        if let dotsPerInch, dotsPerInch > 0 {
            var physical: [UInt8] = []
            let perMetre = UInt32((Double(dotsPerInch) / 0.0254).rounded())
            appendUInt32(perMetre, to: &physical)
            appendUInt32(perMetre, to: &physical)
            physical.append(1) // unit: metre
            appendChunk("pHYs", physical, to: &png)
        }
        appendChunk("IDAT", deflate(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private static func deflate(_ data: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { data in
                compress2(out.baseAddress, &length, data.baseAddress, uLong(data.count), Z_BEST_SPEED)
            }
        }
        // compress2 only fails for lack of memory or a too-small buffer; compressBound rules out the latter.
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        out.removeSubrange(Int(length)...)
        return out
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        appendUInt32(UInt32(data.count), to: &png)
        let typeAndData = Array(type.utf8) + data
        png += typeAndData
        let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        appendUInt32(UInt32(crc), to: &png)
    }

    private static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
