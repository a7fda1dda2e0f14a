"""Evaluation results as a person reads them: a Markdown table, a bar chart."""

from __future__ import annotations

from milvus_model_adapters._deps import require


def format_table(name: str, results: dict[str, dict[str, float]]) -> str:
    """A Markdown table of metrics by configuration."""
    metrics = list(next(iter(results.values())))
    lines = [f"| {name} | " + " | ".join(metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for config, values in results.items():
        lines.append(f"| {config} | " + " | ".join(f"{values[m]:.4f}" for m in metrics) + " |")
    return "\n".join(lines)


def plot_results(name: str, results: dict[str, dict[str, float]], path: str) -> None:
    """A bar chart per metric, configurations side by side, saved as PNG.

    Raises:
        MissingDependencyError: If matplotlib is not installed (extra ``plot``).
    """
    require("matplotlib", extra="plot", purpose="--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(next(iter(results.values())))
    configs = list(results)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4.2))
    colors = [plt.get_cmap("tab10")(i) for i in range(10)]
    for ax, metric in zip(axes, metrics, strict=True):
        values = [results[c][metric] for c in configs]
        bars = ax.bar(range(len(configs)), values, color=[colors[i % 10] for i in range(len(configs))])
        ax.set_title(metric)
        ax.set_xticks(range(len(configs)), configs, rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, max(values) * 1.18)
        for bar, v in zip(bars, values, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.3f}", ha="center", va="bottom", fontsize=7)
    fig.suptitle(f"Retrieval quality on {name}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
