/// Writes codes as lines of text for printers: CSV (`serial,code,grouped,url`, with a leading
/// `sequence` column for batch exports) or plain URLs.
///
/// Appends bytes straight into a caller's buffer so that a stream of millions of codes
/// costs one HMAC and a few dozen byte writes each, with memory bounded by the buffer.
public struct CodeLines: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// `serial,code,grouped,url` with a header row.
        case csv
        /// One URL per line, no header.
        case txt
    }

    public let format: Format
    private let urlPrefix: [UInt8]
    /// The serial of sequence 0, when lines carry a sequence column.
    private let sequenceOrigin: UInt64?

    /// - Parameters:
    ///   - gtin: when given, URLs take the GS1 Digital Link form, else the short form.
    ///   - sequenceOrigin: the first serial of a batch: CSV lines then start with the code's sequence in it.
    public init(format: Format, host: String, gtin: GTIN? = nil, sequenceOrigin: UInt64? = nil) {
        self.format = format
        self.sequenceOrigin = sequenceOrigin
        let host = host.lowercased()
        if let gtin {
            urlPrefix = Array("https://\(host)/01/\(gtin.digits)/21/".utf8)
        } else {
            urlPrefix = Array("https://\(host)/Q/".utf8)
        }
    }

    /// The header row, if the format has one.
    public var header: [UInt8] {
        guard format == .csv else { return [] }
        return Array((sequenceOrigin == nil ? "serial,code,grouped,url\n" : "sequence,serial,code,grouped,url\n").utf8)
    }

    /// The URL that `append` writes for `code`.
    public func url(for code: Code) -> String {
        String(decoding: urlPrefix, as: UTF8.self) + code.text
    }

    @inline(__always)
    public func append(_ code: Code, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: Code.symbolCount + 2, alignment: 1) { scratch in
            if format == .csv {
                if let sequenceOrigin {
                    appendDecimal(code.serial - sequenceOrigin, to: &buffer)
                    buffer.append(UInt8(ascii: ","))
                }
                appendDecimal(code.serial, to: &buffer)
                buffer.append(UInt8(ascii: ","))
                code.writeASCII(into: scratch)
                buffer.append(contentsOf: scratch[0..<Code.symbolCount])
                buffer.append(UInt8(ascii: ","))
                code.writeGroupedASCII(into: scratch)
                buffer.append(contentsOf: scratch[0..<(Code.symbolCount + 2)])
                buffer.append(UInt8(ascii: ","))
            }
            buffer.append(contentsOf: urlPrefix)
            code.writeASCII(into: scratch)
            buffer.append(contentsOf: scratch[0..<Code.symbolCount])
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    @inline(__always)
    private func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
            var v = value
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            out.append(contentsOf: digits[i..<20])
        }
    }
}
