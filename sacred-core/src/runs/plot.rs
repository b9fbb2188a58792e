//! `runs plot NAME [ID…] -o FILE`: one metric of one or many runs on one chart, as PNG or
//! SVG, drawn with `plotters` (the `plot` feature).

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::Context;
use super::format;
use super::reader::{Listed, RunRecord, Series};
use crate::Error;

/// The size of the chart in pixels.
const SIZE: (u32, u32) = (1000, 600);

/// The longest legend entry, in characters.
const LABEL_WIDTH: usize = 70;

/// One run's line.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
}

/// What is drawn.
struct Chart {
    title: String,
    x_label: &'static str,
    y_label: String,
    log_y: bool,
    lines: Vec<Line>,
}

pub(super) fn plot(context: &Context<'_>) -> Result<(), Error> {
    let args = context.ids(1, "plot NAME [ID…] -o FILE.png|FILE.svg")?;
    let (name, ids) = (&args[0], &args[1..]);
    let Some(output) = &context.args.output else {
        return Err(Error::usage(
            "`runs plot`: no output file; expected -o FILE.png or -o FILE.svg",
        ));
    };
    let lower = output.to_ascii_lowercase();
    let svg = lower.ends_with(".svg");
    if !svg && !lower.ends_with(".png") {
        return Err(Error::usage(format!(
            "`runs plot -o {output}`: unknown image format; expected a file ending in .png or .svg"
        )));
    }
    let runs: Vec<RunRecord> = if ids.is_empty() {
        context
            .listed()?
            .into_iter()
            .filter_map(|entry| match entry {
                Listed::Run(run) => Some(run),
                Listed::Corrupt { .. } => None,
            })
            .collect()
    } else {
        ids.iter()
            .map(|id| context.run(id))
            .collect::<Result<_, _>>()?
    };
    let mut found: Vec<(RunRecord, Series)> = Vec::new();
    for run in runs {
        let series = context.metrics(&run.id)?;
        if ids.is_empty() {
            if let Some(s) = series.into_iter().find(|s| s.name == *name) {
                found.push((run, s));
            }
        } else {
            let mut selected = super::metrics::select(series, std::slice::from_ref(name), &run.id)?;
            if let Some(s) = selected.pop() {
                found.push((run, s));
            }
        }
    }
    if found.is_empty() {
        return Err(Error::Runs {
            message: format!(
                "no listed run has the metric `{name}` in {}",
                context.reader.location()
            ),
            code: 2,
        });
    }
    let chart = chart(context, name, &found)?;
    let bytes = if svg {
        render_svg(&chart)?
    } else {
        render_png(&chart)?
    };
    let path = context.env.resolve(output);
    super::write_file(&path, &bytes)?;
    context.env.out(&format!(
        "plotted `{name}` of {} run{} to {output}\n",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// The lines: x is the step or the seconds since the run's first point, y the value
/// (smoothed as `--smooth` asks); each labelled with the run's id and the config values in
/// which the runs differ.
fn chart(context: &Context<'_>, name: &str, found: &[(RunRecord, Series)]) -> Result<Chart, Error> {
    let configs: Vec<_> = found
        .iter()
        .map(|(run, _)| format::flatten(&run.config))
        .collect();
    let keys = format::differing_keys(&configs, true);
    let mut lines = Vec::with_capacity(found.len());
    for ((run, series), config) in found.iter().zip(&configs) {
        let mut label = format!("run {}", run.id);
        let values: Vec<String> = keys
            .iter()
            .map(|k| {
                format!(
                    "{k}={}",
                    config
                        .get(k)
                        .map(format::plain)
                        .unwrap_or_else(|| "-".into())
                )
            })
            .collect();
        if !values.is_empty() {
            label.push_str(": ");
            label.push_str(&values.join(", "));
        }
        let xs: Vec<f64> = if context.args.x_time {
            let first = series.timestamps.iter().flatten().next().copied();
            let Some(first) = first else {
                return Err(Error::Runs {
                    message: format!(
                        "`--x time`: the metric `{name}` of run {} has no timestamps; expected `--x step`",
                        run.id
                    ),
                    code: 2,
                });
            };
            series
                .timestamps
                .iter()
                .map(|t| t.map_or(f64::NAN, |t| t.since(first).as_secs_f64()))
                .collect()
        } else {
            #[allow(clippy::cast_precision_loss)]
            series.steps.iter().map(|s| *s as f64).collect()
        };
        let ys = smooth(&series.values, context.args.smooth.unwrap_or(0.0));
        let points: Vec<(f64, f64)> = xs
            .into_iter()
            .zip(ys)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if context.args.log_y && points.iter().any(|(_, y)| *y <= 0.0) {
            return Err(Error::Runs {
                message: format!(
                    "`--log-y`: the metric `{name}` of run {} has values <= 0; expected positive values for a log scale",
                    run.id
                ),
                code: 2,
            });
        }
        lines.push(Line {
            label: format::truncate(&label, LABEL_WIDTH),
            points,
        });
    }
    Ok(Chart {
        title: context
            .args
            .title
            .clone()
            .unwrap_or_else(|| name.to_owned()),
        x_label: if context.args.x_time {
            "seconds since the first point"
        } else {
            "step"
        },
        y_label: name.to_owned(),
        log_y: context.args.log_y,
        lines,
    })
}

/// An exponential moving average: each point is `alpha` of the previous smoothed one and
/// `1 - alpha` of its own value; `alpha = 0` keeps the values.
fn smooth(values: &[f64], alpha: f64) -> Vec<f64> {
    let mut last: Option<f64> = None;
    values
        .iter()
        .map(|v| {
            let next = match last {
                Some(prev) if v.is_finite() => alpha * prev + (1.0 - alpha) * v,
                _ => *v,
            };
            if next.is_finite() {
                last = Some(next);
            }
            next
        })
        .collect()
}

fn render_png(chart: &Chart) -> Result<Vec<u8>, Error> {
    let (width, height) = SIZE;
    let mut pixels = vec![0_u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&root, chart)?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .map_err(|e| plot_error(&e))?;
    Ok(bytes)
}

fn render_svg(chart: &Chart) -> Result<Vec<u8>, Error> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, chart)?;
    }
    Ok(text.into_bytes())
}

fn plot_error(e: &dyn std::fmt::Display) -> Error {
    Error::Runs {
        message: format!("cannot draw the chart: {e}"),
        code: 1,
    }
}

/// Registers the embedded font as `sans-serif`, so text needs no system font.
fn register_font() -> Result<(), Error> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| plot_error(&"the embedded font cannot be read"))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), Error> {
    register_font()?;
    root.fill(&WHITE).map_err(|e| plot_error(&e))?;
    let (x0, x1, y0, y1) = bounds(chart);
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(&chart.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80);
    if chart.log_y {
        let mut context = builder
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(|e| plot_error(&e))?;
        lines(&mut context, chart)?;
    } else {
        let mut context = builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| plot_error(&e))?;
        lines(&mut context, chart)?;
    }
    root.present().map_err(|e| plot_error(&e))
}

/// The ranges of the axes, widened a little so no line lies on the frame.
fn bounds(chart: &Chart) -> (f64, f64, f64, f64) {
    let points = chart.lines.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if !x0.is_finite() {
        return (0.0, 1.0, if chart.log_y { 0.1 } else { 0.0 }, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if chart.log_y {
        (x0, x1, y0 / 1.1, y1 * 1.1)
    } else {
        let pad = if y1 > y0 {
            (y1 - y0) * 0.05
        } else {
            y0.abs().max(1.0) * 0.1
        };
        (x0, x1, y0 - pad, y1 + pad)
    }
}

fn lines<'a, DB: DrawingBackend + 'a, Y>(
    context: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    chart: &Chart,
) -> Result<(), Error>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    context
        .configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(&chart.y_label)
        .label_style(("sans-serif", 14))
        .x_label_formatter(&|x| format::number(*x))
        .y_label_formatter(&|y| format::number(*y))
        .draw()
        .map_err(|e| plot_error(&e))?;
    for (i, line) in chart.lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        context
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| plot_error(&e))?
            .label(&line.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    context
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| plot_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_is_an_exponential_average() {
        assert_eq!(smooth(&[1.0, 3.0], 0.0), [1.0, 3.0]);
        assert_eq!(smooth(&[1.0, 3.0, 3.0], 0.5), [1.0, 2.0, 2.5]);
        let chart = Chart {
            title: "t".into(),
            x_label: "step",
            y_label: "y".into(),
            log_y: false,
            lines: vec![Line {
                label: "a".into(),
                points: vec![(0.0, 1.0), (10.0, 3.0)],
            }],
        };
        let png = render_png(&chart).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let svg = String::from_utf8(render_svg(&chart).unwrap()).unwrap();
        assert!(svg.contains("<svg") && svg.contains("\na\n"), "{svg}");
    }
}
