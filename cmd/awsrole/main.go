// Command awsrole makes AWS credentials follow the directory a shell is in.
package main

import "os"

func main() { os.Exit(run(os.Args[1:])) }
