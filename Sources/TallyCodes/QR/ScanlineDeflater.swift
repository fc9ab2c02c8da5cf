import CZlib

/// Writes a zlib stream of PNG scanlines in which a row equal to the row before it is
/// a single deflate back-reference (fixed Huffman codes, RFC 1951 §3.2.6).
///
/// A QR image is each module row drawn `moduleSize` times, so most rows repeat the one
/// above. General-purpose deflate spends its time rediscovering that; here it is known, and
/// encoding costs a few bit writes per row. zlib supplies the Adler-32 checksum, and the
/// tests inflate the output with zlib itself.
struct ScanlineDeflater {
    private var out: [UInt8] = [0x78, 0x01] // zlib header: deflate, 32 KiB window, fastest
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    private var adler: uLong = adler32(0, nil, 0)
    private var previousRow: [UInt8] = []
    private var previousRowAdler: uLong = 0

    init(expectedRows: Int, rowLength: Int) {
        out.reserveCapacity(expectedRows / 2 + rowLength * 64)
        writeBits(1, count: 1) // BFINAL: this is the only block
        writeBits(1, count: 2) // BTYPE 01: fixed Huffman codes
    }

    /// Appends one scanline (filter byte included). Rows must all have the same length.
    mutating func append(row: [UInt8]) {
        if row == previousRow {
            adler = adler32_combine(adler, previousRowAdler, off_t(row.count))
            copyPrevious(length: row.count, distance: row.count)
        } else {
            previousRowAdler = row.withUnsafeBufferPointer { adler32(adler32(0, nil, 0), $0.baseAddress, uInt($0.count)) }
            adler = adler32_combine(adler, previousRowAdler, off_t(row.count))
            for byte in row { writeLiteral(byte) }
            previousRow = row
        }
    }

    /// Ends the stream and returns the zlib bytes.
    mutating func finish() -> [UInt8] {
        writeBits(0, count: 7) // end of block: symbol 256, code 0000000
        if bitCount > 0 { out.append(UInt8(truncatingIfNeeded: bitBuffer)) }
        bitBuffer = 0
        bitCount = 0
        let checksum = UInt32(adler)
        out += [UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF)]
        return out
    }

    /// Repeats the last `distance` bytes for `length` bytes, in matches of 3...258 bytes.
    private mutating func copyPrevious(length: Int, distance: Int) {
        var remaining = length
        while remaining > 0 {
            // Never leave a tail shorter than deflate's minimum match of 3.
            let piece = remaining > 258 ? (remaining - 258 < 3 ? remaining - 3 : 258) : remaining
            writeLength(piece)
            writeDistance(distance)
            remaining -= piece
        }
    }

    @inline(__always)
    private mutating func writeLiteral(_ byte: UInt8) {
        writeBits(Self.literalCodes[Int(byte)], count: byte < 144 ? 8 : 9)
    }

    private mutating func writeLength(_ length: Int) {
        let index = Self.lengthBase.lastIndex { $0 <= length }!
        let symbol = 257 + index
        if symbol < 280 {
            writeHuffman(UInt32(symbol - 256), count: 7)
        } else {
            writeHuffman(0xC0 + UInt32(symbol - 280), count: 8)
        }
        writeBits(UInt32(length - Self.lengthBase[index]), count: Self.lengthExtra[index])
    }

    private mutating func writeDistance(_ distance: Int) {
        let code = Self.distanceBase.lastIndex { $0 <= distance }!
        writeHuffman(UInt32(code), count: 5)
        writeBits(UInt32(distance - Self.distanceBase[code]), count: Self.distanceExtra[code])
    }

    /// Huffman codes go into the stream most significant bit first.
    private mutating func writeHuffman(_ code: UInt32, count: Int) {
        writeBits(Self.reversed(code, count: count), count: count)
    }

    private static func reversed(_ code: UInt32, count: Int) -> UInt32 {
        var reversed: UInt32 = 0
        for i in 0..<count where code & (1 << UInt32(i)) != 0 { reversed |= 1 << UInt32(count - 1 - i) }
        return reversed
    }

    /// The fixed literal codes 0...255, already bit-reversed for `writeBits`.
    private static let literalCodes: [UInt32] = (0..<256).map { byte in
        byte < 144 ? reversed(0x30 + UInt32(byte), count: 8) : reversed(0x190 + UInt32(byte) - 144, count: 9)
    }

    /// Everything else goes in least significant bit first.
    @inline(__always)
    private mutating func writeBits(_ value: UInt32, count: Int) {
        bitBuffer |= UInt64(value) << UInt64(bitCount)
        bitCount += count
        while bitCount >= 8 {
            out.append(UInt8(truncatingIfNeeded: bitBuffer))
            bitBuffer >>= 8
            bitCount -= 8
        }
    }

    private static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
        16385, 24577,
    ]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
}
