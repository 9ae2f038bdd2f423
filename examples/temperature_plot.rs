//! Draws how temperature reshapes a distribution, as the SVG images of `docs/` shown in the
//! README and the crate documentation:
//!
//! - `docs/temperature_pmf.svg`: the probabilities of the worked example `[2.0, 1.0, 0.1]` and
//!   of a 20-token vocabulary shaped like a language model's next-token logits, at `T = 0`
//!   (greedy), 0.25, 0.5, 1 and 2;
//! - `docs/temperature_entropy.svg`: the entropy of both as a function of `T`.
//!
//! ```sh
//! cargo run --release --example temperature_plot            # rewrites docs/*.svg
//! cargo run --release --example temperature_plot -- /tmp/x  # writes them into /tmp/x instead
//! ```
//!
//! The images depend only on this file and the crate, so running it on a clean checkout leaves
//! `docs/` unchanged (CI checks that).

use logits::{entropy_of_logits, softmax_with_temperature};
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// The worked example of the crate documentation.
const WORKED: [f32; 3] = [2.0, 1.0, 0.1];

/// "The cat sat on the ...": 20 continuations with logits falling like a model's.
const WORDS: [&str; 20] = [
    "mat", "floor", "sofa", "bed", "rug", "chair", "roof", "table", "couch", "grass", "bench",
    "fence", "step", "porch", "window", "stairs", "desk", "moon", "piano", "idea",
];
const LM: [f32; 20] = [
    4.0, 3.1, 2.6, 2.2, 1.9, 1.5, 1.2, 1.0, 0.8, 0.6, 0.3, 0.1, -0.2, -0.5, -0.7, -1.0, -1.3, -1.6,
    -2.0, -2.4,
];

/// The temperatures drawn, with their colors (dark to warm as `T` grows).
const TEMPERATURES: [(f32, RGBColor); 5] = [
    (0.0, RGBColor(40, 40, 40)),
    (0.25, RGBColor(31, 119, 180)),
    (0.5, RGBColor(44, 160, 44)),
    (1.0, RGBColor(255, 127, 14)),
    (2.0, RGBColor(214, 39, 40)),
];

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn label(t: f32) -> String {
    if t == 0.0 {
        "T = 0 (greedy)".to_string()
    } else {
        format!("T = {t}")
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The label of a segment's center (the segments' edges have none).
fn segment_label(v: &SegmentValue<usize>, name: impl Fn(usize) -> String) -> String {
    match v {
        SegmentValue::CenterOf(i) => name(*i),
        _ => String::new(),
    }
}

/// The probabilities of the worked example as grouped bars, one group per token.
fn worked_panel(area: &Area) -> Result<()> {
    let n = WORKED.len();
    let mut chart = ChartBuilder::on(area)
        .caption("logits [2.0, 1.0, 0.1]", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(52)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..1.0)?
        // Bars and lines in a continuous coordinate: token i spans [i - 0.5, i + 0.5].
        .set_secondary_coord(-0.5f64..n as f64 - 0.5, 0f64..1.0);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("token (its logit)")
        .y_desc("probability")
        .x_label_formatter(&|v| segment_label(v, |i| format!("{i} ({})", WORKED[i])))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(RGBColor(238, 238, 238))
        .y_max_light_lines(1)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    let groups = TEMPERATURES.len() as f64;
    for (k, &(t, color)) in TEMPERATURES.iter().enumerate() {
        let p = softmax_with_temperature(&WORKED, t)?;
        chart.draw_secondary_series(p.iter().enumerate().map(|(i, &p)| {
            // Bar k of a group: a fifth of the middle 84% of the token's unit width.
            let x0 = i as f64 - 0.42 + 0.84 * k as f64 / groups;
            let x1 = x0 + 0.84 / groups - 0.02;
            Rectangle::new([(x0, p as f64), (x1, 0.0)], color.filled())
        }))?;
    }
    Ok(())
}

/// The probabilities of the 20-token vocabulary, one line per temperature, with the legend.
fn lm_panel(area: &Area) -> Result<()> {
    let n = LM.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            "\"The cat sat on the ...\": 20 tokens, logits 4.0 to -2.4",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(52)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..1.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("probability")
        // The words are drawn below, turned a quarter so that all twenty fit.
        .x_labels(n)
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(RGBColor(238, 238, 238))
        .y_max_light_lines(1)
        .y_label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    for &(t, color) in &TEMPERATURES {
        let p = softmax_with_temperature(&LM, t)?;
        let points: Vec<(SegmentValue<usize>, f64)> = p
            .iter()
            .enumerate()
            .map(|(i, &p)| (SegmentValue::CenterOf(i), p as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().cloned(),
                color.stroke_width(2),
            ))?
            .label(label(t))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], color.filled()));
        chart.draw_series(
            points
                .iter()
                .cloned()
                .map(|xy| Circle::new(xy, 3, color.filled())),
        )?;
    }
    let font = ("sans-serif", 14)
        .into_font()
        .transform(FontTransform::Rotate90);
    let style = TextStyle::from(font).pos(Pos::new(HPos::Left, VPos::Center));
    let (bx, by) = area.get_base_pixel();
    for (i, word) in WORDS.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(SegmentValue::CenterOf(i), 0.0));
        area.draw(&Text::new(*word, (x - bx, y - by + 8), style.clone()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// The entropy of both vocabularies as a function of `T`, with their maxima `ln n`.
fn entropy_chart(area: &Area) -> Result<()> {
    const T_MAX: f64 = 3.0;
    let top = (LM.len() as f64).ln() * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption("Entropy of softmax(x / T)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(52)
        .build_cartesian_2d(0f64..T_MAX, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("temperature T")
        .light_line_style(RGBColor(238, 238, 238))
        .max_light_lines(1)
        .y_desc("entropy (nats)")
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(RGBColor(238, 238, 238))
        .y_max_light_lines(1)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    let grid: Vec<f64> = (0..=300).map(|i| i as f64 * T_MAX / 300.0).collect();
    let series: [(&str, &[f32], RGBColor); 2] = [
        ("[2.0, 1.0, 0.1]", &WORKED, RGBColor(31, 119, 180)),
        ("20 tokens", &LM, RGBColor(214, 39, 40)),
    ];
    for (name, x, color) in series {
        let h = |t: f64| entropy_of_logits(x, t as f32);
        let curve = grid
            .iter()
            .map(|&t| Ok((t, h(t)?)))
            .collect::<Result<Vec<_>>>()?;
        chart
            .draw_series(LineSeries::new(curve, color.stroke_width(2)))?
            .label(format!("{name}: H(T)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        let max = (x.len() as f64).ln();
        chart.draw_series(DashedLineSeries::new(
            [(0.0, max), (T_MAX, max)],
            6,
            4,
            color.mix(0.6).stroke_width(1),
        ))?;
        let note = format!("ln {} = {max:.2}: uniform over {} tokens", x.len(), x.len());
        let style = ("sans-serif", 14)
            .into_font()
            .color(&color)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series([Text::new(note, (T_MAX - 0.05, max + 0.04), style)])?;
        let marks: Vec<(f64, f64)> = TEMPERATURES
            .iter()
            .map(|&(t, _)| Ok((t as f64, h(t as f64)?)))
            .collect::<Result<_>>()?;
        chart.draw_series(
            marks
                .into_iter()
                .map(|xy| Circle::new(xy, 4, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Prepares the SVG to be inlined into the crate documentation, a Markdown page: removes the
/// empty `<text>` elements plotters writes for unlabeled ticks and checks that no blank line is
/// left (one would end the HTML block), and lets the image shrink to a narrower page.
fn tidy(path: &Path) -> Result<()> {
    let svg = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = svg.lines().collect();
    let mut out = String::with_capacity(svg.len());
    let mut i = 0;
    while i < lines.len() {
        if i == 0 {
            let Some(rest) = lines[0].strip_prefix("<svg ") else {
                return Err(format!("{}: does not start with <svg", path.display()).into());
            };
            out.push_str("<svg style=\"max-width: 100%; height: auto\" ");
            out.push_str(rest);
            out.push('\n');
            i += 1;
            continue;
        }
        let empty_text = lines[i].starts_with("<text")
            && lines.get(i + 1).is_some_and(|l| l.trim().is_empty())
            && lines.get(i + 2) == Some(&"</text>");
        if empty_text {
            i += 3;
            continue;
        }
        if lines[i].trim().is_empty() {
            return Err(format!("{}: a blank line at line {}", path.display(), i + 1).into());
        }
        out.push_str(lines[i]);
        out.push('\n');
        i += 1;
    }
    std::fs::write(path, out)?;
    Ok(())
}

fn main() -> Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs"));
    std::fs::create_dir_all(&dir)?;

    let pmf = dir.join("temperature_pmf.svg");
    {
        let root = SVGBackend::new(&pmf, (1000, 440)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(370);
        worked_panel(&left)?;
        lm_panel(&right)?;
        root.present()?;
    }
    tidy(&pmf)?;
    println!("wrote {}", pmf.display());

    let entropy = dir.join("temperature_entropy.svg");
    {
        let root = SVGBackend::new(&entropy, (720, 400)).into_drawing_area();
        root.fill(&WHITE)?;
        entropy_chart(&root)?;
        root.present()?;
    }
    tidy(&entropy)?;
    println!("wrote {}", entropy.display());
    Ok(())
}
