// Preloaded into Prism (node --import): it ends when its stdin, a pipe from the launcher, closes,
// so that Prism never outlives the launcher, even one killed with SIGKILL.
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
