/** Renders an ECharts option to an SVG string in Node (ECharts server-side rendering). */
import * as echarts from 'echarts';

export function renderSvg(option: Record<string, unknown>, width = 720, height = 380): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ backgroundColor: '#ffffff', ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
