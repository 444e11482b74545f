eval "$("${AWSROLE_BENCH_BIN}/awsrole" hook bash)"
