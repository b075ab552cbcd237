#!/usr/bin/env bash
# OpenRLHF GRPO with rlvr as the remote reward: the rewards are named in the URL.
# Start the service first (make serve, or several replicas on several hosts/ports).
# Each comma-separated URL gets a share of the batch; the dataset's --label_key column
# is sent as "labels" and used as the reference answer.
set -euo pipefail

RLVR="${RLVR_URL:-http://127.0.0.1:8000}"

ray job submit --address="http://127.0.0.1:8265" \
  --runtime-env-json='{"working_dir": "/openrlhf"}' \
  -- python3 -m openrlhf.cli.train_ppo_ray \
  --pretrain Qwen/Qwen2.5-1.5B-Instruct \
  --prompt_data AI-MO/NuminaMath-TIR \
  --input_key problem \
  --label_key solution \
  --apply_chat_template \
  --remote_rm_url "${RLVR}/openrlhf/math:1,format:0.2" \
  --advantage_estimator group_norm \
  --n_samples_per_prompt 8 \
  --init_kl_coef 0 \
  --save_path ./checkpoint/qwen-grpo-rlvr
