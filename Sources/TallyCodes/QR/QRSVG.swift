/// Renders a QR symbol as SVG: a white background and one path for all dark modules,
/// one horizontal run per subpath, in module units so it scales to any print size.
public enum QRSVG {
    public static func render(_ symbol: QRSymbol, moduleSize: Int = 8) -> String {
        let quiet = QRSymbol.quietZone
        let side = symbol.width + 2 * quiet
        var path: [UInt8] = []
        path.reserveCapacity(symbol.width * symbol.width * 3)
        for y in 0..<symbol.width {
            var x = 0
            while x < symbol.width {
                guard symbol.isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < symbol.width && symbol.isDark(x: x, y: y) { x += 1 }
                // M<x> <y>h<run>v1h-<run>z
                path.append(UInt8(ascii: "M"))
                appendDecimal(start + quiet, to: &path)
                path.append(UInt8(ascii: " "))
                appendDecimal(y + quiet, to: &path)
                path.append(UInt8(ascii: "h"))
                appendDecimal(x - start, to: &path)
                path.append(contentsOf: "v1h-".utf8)
                appendDecimal(x - start, to: &path)
                path.append(UInt8(ascii: "z"))
            }
        }
        let pixels = side * max(1, moduleSize)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="#000" d="\(String(decoding: path, as: UTF8.self))"/></svg>

            """
    }

    @inline(__always)
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
