"""What a run shows: report figures (`figures`, `structured`), the evaluation tables of the
terminal and report.md from one schema (`tables`), TensorBoard (`tensorboard`), the progress bar
(`progress`), and the writer of markdown, JSON and figures that every report and demo uses
(`files`)."""
