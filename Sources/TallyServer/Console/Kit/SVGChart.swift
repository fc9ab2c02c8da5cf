/// Charts drawn by the server as inline SVG: no script, no external asset. Each chart names
/// itself for screen readers (`role="img"` with a label), and the pages put the numbers beside
/// it in a table, so nothing is only in the picture.
enum SVGChart {
    struct Series: Sendable {
        let name: String
        let values: [Int64]
        let color: String
        /// Drawn dashed: the previous period, a projection.
        let dashed: Bool

        init(_ name: String, _ values: [Int64], color: String, dashed: Bool = false) {
            self.name = name
            self.values = values
            self.color = color
            self.dashed = dashed
        }
    }

    static let width = 640.0
    static let height = 220.0
    private static let left = 56.0, right = 12.0, top = 12.0, bottom = 28.0

    /// Lines over the same x labels (days), with a legend under the chart.
    static func lines(_ title: String, labels: [String], series: [Series]) -> HTML {
        let count = max(labels.count, series.map(\.values.count).max() ?? 0)
        let maximum = niceCeiling(series.flatMap(\.values).max() ?? 0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func x(_ index: Int) -> Double { left + (count <= 1 ? plotWidth / 2 : plotWidth * Double(index) / Double(count - 1)) }
        func y(_ value: Int64) -> Double { top + plotHeight * (1 - Double(value) / Double(maximum)) }

        var svg: HTML = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(title)" \
            xmlns="http://www.w3.org/2000/svg"><title>\(title)</title>
            """
        svg += grid(maximum: maximum, y: y)
        for index in xLabelIndexes(count) where index < labels.count {
            let anchor = index == 0 ? "start" : (index == count - 1 ? "end" : "middle")
            svg += "<text x=\"\(fmt(x(index)))\" y=\"\(fmt(height - 8))\" text-anchor=\"\(anchor)\">\(labels[index])</text>"
        }
        for line in series where !line.values.isEmpty {
            let points = line.values.enumerated().map { "\(fmt(x($0.offset))),\(fmt(y($0.element)))" }.joined(separator: " ")
            let dash: HTML = line.dashed ? " stroke-dasharray=\"5 4\"" : ""
            svg += """
                <polyline fill="none" stroke="\(line.color)" stroke-width="2"\(dash) points="\(points)"><title>\(line.name)</title></polyline>
                """
            if line.values.count == 1 {
                svg += "<circle cx=\"\(fmt(x(0)))\" cy=\"\(fmt(y(line.values[0])))\" r=\"3\" fill=\"\(line.color)\"/>"
            }
        }
        svg += "</svg>"
        return svg + legend(series)
    }

    /// Horizontal bars, largest first as given, each labelled with its value.
    static func bars(_ title: String, items: [(label: String, value: Int64)], color: String = "#0b6bcb") -> HTML {
        let rowHeight = 26.0
        let labelWidth = 150.0
        let chartHeight = max(rowHeight, rowHeight * Double(items.count)) + 4
        let maximum = max(1, items.map(\.value).max() ?? 1)
        var svg: HTML = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(chartHeight))" role="img" aria-label="\(title)" \
            xmlns="http://www.w3.org/2000/svg"><title>\(title)</title>
            """
        for (index, item) in items.enumerated() {
            let barY = 2 + Double(index) * rowHeight
            let barWidth = max(1, (width - labelWidth - 80) * Double(item.value) / Double(maximum))
            svg += """
                <text x="\(fmt(labelWidth - 8))" y="\(fmt(barY + 17))" text-anchor="end">\(String(item.label.prefix(22)))</text>\
                <rect x="\(fmt(labelWidth))" y="\(fmt(barY + 4))" width="\(fmt(barWidth))" height="\(fmt(rowHeight - 8))" fill="\(color)" rx="2"/>\
                <text x="\(fmt(labelWidth + barWidth + 6))" y="\(fmt(barY + 17))">\(ConsoleFormat.number(item.value))</text>
                """
        }
        svg += "</svg>"
        return svg
    }

    private static func grid(maximum: Int64, y: (Int64) -> Double) -> HTML {
        var html: HTML = ""
        for step in 0...4 {
            let value = maximum * Int64(step) / 4
            html += """
                <line x1="\(fmt(left))" x2="\(fmt(width - right))" y1="\(fmt(y(value)))" y2="\(fmt(y(value)))" stroke="#e4e7ec"/>\
                <text x="\(fmt(left - 6))" y="\(fmt(y(value) + 4))" text-anchor="end">\(ConsoleFormat.number(value))</text>
                """
        }
        return html
    }

    private static func legend(_ series: [Series]) -> HTML {
        var html: HTML = "<div class=\"legend\">"
        for line in series {
            let style =
                line.dashed
                ? "background:repeating-linear-gradient(90deg,\(line.color) 0 5px,transparent 5px 8px)" : "background:\(line.color)"
            html += "<span><i style=\"\(style)\"></i>\(line.name)</span>"
        }
        return html + "</div>"
    }

    /// At most five labels along the x axis: first, last and evenly between.
    private static func xLabelIndexes(_ count: Int) -> [Int] {
        guard count > 0 else { return [] }
        guard count > 5 else { return Array(0..<count) }
        return (0...4).map { $0 * (count - 1) / 4 }
    }

    /// A round top for the y axis (1, 2 or 5 × a power of ten, at least the maximum, at least 4).
    static func niceCeiling(_ value: Int64) -> Int64 {
        guard value > 4 else { return 4 }
        var power: Int64 = 1
        while power * 10 <= value { power *= 10 }
        for factor in [1, 2, 5, 10] as [Int64] where factor * power >= value { return factor * power }
        return value
    }

    private static func fmt(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }
}
