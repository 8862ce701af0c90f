"""Run-folder plumbing: everything a run writes into its folder and reads back on resume.

One low-level home, below every package that trains or analyses, so that the callbacks,
the trainers, the analysis and the experiments share it without importing each other:

- `infodl.run_folder.atomic`: THE atomic write (`.partial-<name>`, fsync, `os.replace`);
- `infodl.run_folder.run_directory`: the config guard (`prepare_log_dir`: resume the
  same config, refuse another);
- `infodl.run_folder.lock`: one owner per run folder (`RunFolderLock`);
- `infodl.run_folder.checkpoints`: the keep-N policy, which checkpoint format a run
  uses and why, and the Keras-file checkpoints (the `tf.train.Checkpoint` +
  `progress.json` checkpoints of IB training live beside the IB trainers, in
  `infodl.training.ib_checkpoint`);
- `infodl.run_folder.summary_writer`: one TensorBoard writer per folder;
  `infodl.run_folder.event_files`: reading and truncating its events files;
- `infodl.run_folder.epoch_log`: the `metrics.jsonl` file (read, truncate, append).

Unlike `infodl.checks`, `infodl.choices` and `infodl.seeds`, some of these modules use
TensorFlow or Keras (imported by those modules only, never by this package).
"""
