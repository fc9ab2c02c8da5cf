import CZlib

/// Renders a QR symbol as a 1-bit greyscale PNG.
///
/// Each module row is drawn once; the pixel rows that repeat it become deflate
/// back-references (see `ScanlineDeflater`). zlib computes the CRC-32 of each chunk.
public enum QRPNG {
    public static func render(_ symbol: QRSymbol, moduleSize: Int = 8, dotsPerInch: Int? = nil) -> [UInt8] {
        let scale = max(1, moduleSize)
        let quiet = QRSymbol.quietZone
        let pixels = (symbol.width + 2 * quiet) * scale
        let rowBytes = (pixels + 7) / 8
        let stride = rowBytes + 1 // filter byte + pixels

        // Scanlines are 1 bit per pixel: 0 is black, 1 white. Filter type 0 (None) throughout:
        // repeated rows are left to the deflater's back-references.
        var deflater = ScanlineDeflater(expectedRows: pixels, rowLength: stride)
        var row = [UInt8](repeating: 0xFF, count: stride)
        for moduleY in 0..<(symbol.width + 2 * quiet) {
            let y = moduleY - quiet
            for i in 1..<stride { row[i] = 0xFF }
            row[0] = 0
            if y >= 0 && y < symbol.width {
                for x in 0..<symbol.width where symbol.isDark(x: x, y: y) {
                    let first = (x + quiet) * scale
                    for px in first..<(first + scale) {
                        row[1 + px >> 3] &= ~(0x80 >> UInt8(px & 7))
                    }
                }
            }
            for _ in 0..<scale { deflater.append(row: row) }
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
        appendChunk("IDAT", deflater.finish(), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
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
