/// Horizontal stacked bars as inline SVG: one row per item, each split into parts that
/// add up to 100% of the row (shares, not counts, so rows of any size compare).
struct SVGStackedBars {
    struct Row {
        var label: String
        /// A value per part, in the order of `parts`.
        var values: [Double]
    }

    var title: String
    var parts: [(name: String, color: String)]
    var rows: [Row]
    var width = 960.0

    func render() -> String {
        let left = 160.0, right = 80.0, rowHeight = 26.0, top = 8.0
        let plotWidth = width - left - right
        let height = top + rowHeight * Double(rows.count) + 24
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            + "<title>\(HTMLText.escape(title))</title>"
        for (index, row) in rows.enumerated() {
            let y = top + rowHeight * Double(index)
            let total = row.values.reduce(0, +)
            svg += "<text x=\"\(left - 8)\" y=\"\(y + rowHeight / 2)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTMLText.escape(row.label))</text>"
            var x = left
            for (part, value) in zip(parts, row.values) where value > 0 && total > 0 {
                let partWidth = plotWidth * value / total
                svg += "<rect x=\"\(ChartScale.coordinate(x))\" y=\"\(y + 3)\" width=\"\(ChartScale.coordinate(partWidth))\" height=\"\(rowHeight - 6)\" fill=\"\(part.color)\">"
                    + "<title>\(HTMLText.escape(row.label)) \(HTMLText.escape(part.name)): \(ChartScale.label(value)) (\(HTMLText.escape(AdviceFormat.percent(value / total))))</title></rect>"
                x += partWidth
            }
            if total == 0 {
                svg += "<text x=\"\(left)\" y=\"\(y + rowHeight / 2)\" dominant-baseline=\"middle\">no checks</text>"
            }
            svg += "<text x=\"\(left + plotWidth + 8)\" y=\"\(y + rowHeight / 2)\" dominant-baseline=\"middle\">\(ChartScale.label(total))</text>"
        }
        for (index, share) in [0.0, 0.25, 0.5, 0.75, 1.0].enumerated() {
            let anchor = index == 0 ? "start" : index == 4 ? "end" : "middle"
            svg += "<text x=\"\(ChartScale.coordinate(left + plotWidth * share))\" y=\"\(height - 6)\" text-anchor=\"\(anchor)\">\(Int(share * 100))%</text>"
        }
        svg += "</svg>"
        let legend = parts.map { part in
            "<span><span class=\"swatch\" style=\"background:\(part.color)\"></span>\(HTMLText.escape(part.name))</span>"
        }.joined()
        return svg + "<div class=\"legend\">\(legend)</div>"
    }
}
