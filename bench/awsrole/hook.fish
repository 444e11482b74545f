"$AWSROLE_BENCH_BIN/awsrole" hook fish | source
