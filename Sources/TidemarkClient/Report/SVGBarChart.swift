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
        var svg = SVGChartParts.open(title: title, width: width, height: height)
        svg += SVGChartParts.grid(ticks: ticks, ceiling: ceiling, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight)
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
        svg += SVGChartParts.yLabel(yLabel, top: top, plotHeight: plotHeight)
        return svg + "</svg>"
    }
}
