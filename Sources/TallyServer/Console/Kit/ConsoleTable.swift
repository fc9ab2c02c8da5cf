/// A table of a console page: one definition, shown as HTML and downloaded as CSV with the
/// same rows, so "export what is shown" holds by construction.
struct ConsoleTable: Sendable {
    struct Column: Sendable {
        let title: String
        /// Numbers are right-aligned, and never given the CSV's formula guard (a negative number stays a number).
        let numeric: Bool

        init(_ title: String, numeric: Bool = false) {
            self.title = title
            self.numeric = numeric
        }
    }

    struct Cell: Sendable {
        /// What the CSV holds, and the page shows unless `html` is given.
        let text: String
        /// The page's version of the cell: a link, a button, a badge.
        let html: HTML?

        init(_ text: String, html: HTML? = nil) {
            self.text = text
            self.html = html
        }

        init(_ number: Int64) {
            self.init(String(number))
        }

        init(_ number: Int) {
            self.init(String(number))
        }

        /// A link to `href` reading `text`.
        static func link(_ text: String, to href: String) -> Cell {
            Cell(text, html: "<a href=\"\(href)\">\(text)</a>")
        }
    }

    let caption: String
    let columns: [Column]
    var rows: [[Cell]]
    /// Shown in place of the rows when there are none.
    let empty: String

    init(caption: String, columns: [Column], rows: [[Cell]], empty: String) {
        self.caption = caption
        self.columns = columns
        self.rows = rows
        self.empty = empty
    }

    /// The table, with a link to its CSV (`csvURL`) under it unless nil.
    func html(csvURL: String?, lang: ConsoleLanguage) -> HTML {
        var html: HTML = "<div class=\"table\"><table><caption>\(caption)</caption><thead><tr>"
        for column in columns {
            html += column.numeric ? "<th scope=\"col\" class=\"num\">\(column.title)</th>" : "<th scope=\"col\">\(column.title)</th>"
        }
        html += "</tr></thead><tbody>"
        if rows.isEmpty {
            html += "<tr><td colspan=\"\(columns.count)\" class=\"empty\">\(empty)</td></tr>"
        }
        for row in rows {
            html += "<tr>"
            for (index, cell) in row.enumerated() {
                let content = cell.html ?? "\(cell.text)"
                html += index < columns.count && columns[index].numeric ? "<td class=\"num\">\(content)</td>" : "<td>\(content)</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table></div>"
        if let csvURL {
            html += "<p class=\"export\"><a href=\"\(csvURL)\" download>\(lang("导出 CSV", "Export CSV"))</a></p>"
        }
        return html
    }

    /// The same rows as CSV, a header line first, CRLF line ends.
    func csv() -> String {
        var lines = [columns.map { CSVField.escape($0.title) }.joined(separator: ",")]
        for row in rows {
            lines.append(
                row.enumerated().map { index, cell in
                    CSVField.escape(cell.text, numeric: index < columns.count && columns[index].numeric)
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
