"""A real headless Chromium, from Debian's ``chromium`` and ``chromium-driver`` packages, driven by
Selenium, for the web console's tests.

If the driver is missing, the test run installs both packages itself when it runs as root (as CI
does, on Debian); otherwise the browser tests are skipped with the reason. No browser build is
downloaded: Selenium is pointed at the packaged driver, so its own driver manager never runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ["chromium", "chromium-driver"]
INSTALL_TIMEOUT = 900


def ensure_chromium() -> None:
    """Install Debian's Chromium and its driver if they are missing and we may; else skip."""
    if CHROMEDRIVER.exists() and CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMEDRIVER} is missing and this run cannot install it "
                    f"(apt-get install {' '.join(PACKAGES)} needs root on Debian)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", *PACKAGES]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0:  # perhaps a stale package list
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=INSTALL_TIMEOUT)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0 or not CHROMEDRIVER.exists():
        pytest.fail(f"apt-get install {' '.join(PACKAGES)} failed:\n{done.stderr[-2000:]}")


def start_chrome(width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver
