"""What a run is measured by at each evaluation: `evaluator.build_evaluator` picks one evaluator per
run, for points (`points`: exact W1, its noise floor, modes) or images (`images`: FID/KID/IS, class
coverage, W1 in pixels); a conditional run's GAN kind adds its keys (`conditional`)."""
