# The project's entry points on Windows, with the same meaning as ./harness on Linux
# (see README.md, "Quick start for Windows"). Each sets up what it needs (the virtual
# environment at .venv\, the npm packages of the report when Node.js is installed) and
# then runs:
#
#   .\harness.ps1 check [pytest options]  the compliance suite (--profile ..., -m hw for the
#                                         real readers), the single-file report and a summary
#   .\harness.ps1 selftest                the project's own tests that run on Windows
#   .\harness.ps1 setup                   the set-up only
#
# The work is done by tools\bootstrap.py (standard library only; it also takes --dry-run
# before the command) with the Python found here: $env:PYTHON, else the py launcher's
# newest Python 3, else python on PATH.
# If scripts are disabled on this PC: powershell -ExecutionPolicy Bypass -File .\harness.ps1 check
# Set WSCARD_SKIP_BOOTSTRAP=1 to skip the set-up.
#
# No param() block on purpose: pytest options such as -m and -k must reach pytest as they
# are, not be taken for parameters of this script.

# (No $ErrorActionPreference = 'Stop': Windows PowerShell 5.1 would then stop at the first
# line a redirected native command writes to stderr, and tools\bootstrap.py reports there.)
Set-Location -LiteralPath $PSScriptRoot

$python = @()
if ($env:PYTHON) {
    $python = @($env:PYTHON)
} elseif (Get-Command py -ErrorAction SilentlyContinue) {
    # the newest Python every dependency has a Windows wheel for (pyscard: 3.13), else any 3.x
    $python = @('py', '-3')
    foreach ($v in @('3.13', '3.12', '3.11')) {
        & py "-$v" -c "import sys" 2>$null
        if ($LASTEXITCODE -eq 0) { $python = @('py', "-$v"); break }
    }
} elseif (Get-Command python -ErrorAction SilentlyContinue) {
    $python = @('python')
} else {
    Write-Host '[harness] Python not found: install Python 3.11 or later (64-bit) from python.org, then run this again'
    exit 2
}

$exe = $python[0]
$pyArgs = @($python | Select-Object -Skip 1)
& $exe @pyArgs (Join-Path $PSScriptRoot 'tools\bootstrap.py') @args
exit $LASTEXITCODE
