/// A vertical bar chart as inline SVG: one bar per category, y from 0.
struct SVGBarChart {
    var title: String
    var categories: [String]
    var values: [Double]
    var xLabel: String
    var yLabel: String
    var color = ReportPalette.color(0)
    var width = 960.0
    var height = 280.0

    func render() -> String {
        let left = 56.0, right = 16.0, top = 16.0, bottom = 48.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let ticks = ChartScale.ticks(maximum: values.max() ?? 0)
        let ceiling = ticks.last ?? 1
        let slot = plotWidth / Double(max(1, categories.count))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            + "<title>\(HTMLText.escape(title))</title>"
        for tick in ticks {
            let y = ChartScale.coordinate(top + plotHeight * (1 - tick / ceiling))
            svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(y)\" y2=\"\(y)\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(ChartScale.label(tick))</text>"
        }
        for (index, category) in categories.enumerated() {
            let value = index < values.count ? values[index] : 0
            let barHeight = plotHeight * value / ceiling
            let x = left + slot * Double(index) + slot * 0.15
            let y = top + plotHeight - barHeight
            svg += "<rect x=\"\(ChartScale.coordinate(x))\" y=\"\(ChartScale.coordinate(y))\" width=\"\(ChartScale.coordinate(slot * 0.7))\" "
                + "height=\"\(ChartScale.coordinate(barHeight))\" fill=\"\(color)\"><title>\(HTMLText.escape(category)): \(ChartScale.label(value))</title></rect>"
            svg += "<text x=\"\(ChartScale.coordinate(left + slot * (Double(index) + 0.5)))\" y=\"\(top + plotHeight + 14)\" text-anchor=\"middle\">\(HTMLText.escape(category))</text>"
        }
        svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(top + plotHeight)\" y2=\"\(top + plotHeight)\"/>"
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(HTMLText.escape(xLabel))</text>"
        svg += "<text x=\"12\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(top + plotHeight / 2))\">\(HTMLText.escape(yLabel))</text>"
        return svg + "</svg>"
    }
}
