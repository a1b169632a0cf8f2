// A vitest reporter that ends the run with one line, `N passed, N failed,
// N skipped`, which CI reads. A test file that fails to load and an
// unhandled error each count as one failure, so neither can pass unseen.
export default class SummaryReporter {
  onTestRunEnd(testModules, unhandledErrors) {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const testModule of testModules) {
      let failedHere = 0
      for (const test of testModule.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failedHere++
        else skipped++
      }
      if (failedHere === 0 && testModule.state() === 'failed') failedHere = 1
      failed += failedHere
    }
    failed += unhandledErrors.length
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
