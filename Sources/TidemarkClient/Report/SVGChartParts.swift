/// The parts every chart of the report draws the same way: the opening tag with its
/// accessible title, the horizontal grid with its tick labels, and the rotated y label.
enum SVGChartParts {
    static func open(title: String, width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            + "<title>\(HTMLText.escape(title))</title>"
    }

    /// One grid line and label per tick, `ceiling` at the top of the plot.
    static func grid(ticks: [Double], ceiling: Double, left: Double, top: Double, plotWidth: Double, plotHeight: Double) -> String {
        var svg = ""
        for tick in ticks {
            let y = ChartScale.coordinate(top + plotHeight * (1 - tick / ceiling))
            svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y)\" y2=\"\(y)\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(ChartScale.label(tick))</text>"
        }
        return svg
    }

    static func yLabel(_ label: String, top: Double, plotHeight: Double) -> String {
        "<text x=\"12\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(top + plotHeight / 2))\">\(HTMLText.escape(label))</text>"
    }
}
