"""What the dashboard's browser tests share: a headless Debian chromium driven by
python3-selenium through chromium-driver (class Browser), the fixture that makes one
(`browsers`; its screenshot folder `shots` is conftest.py's, one for the run), the server they
sign in to (`server`) and the helpers that set up people and customers over the API. A test
module takes the fixtures with `from dashboard_browser import *`."""

import base64
import os

import pytest

from harness import http_request, wait_for

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # a missing tool fails the run, as a missing binary does
    webdriver = None

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "admin password 123"
SENDER = "news@example.test"
WAIT = 20  # seconds any one thing on the page may take to appear
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
# The navigation, as web-ui/src/roles.js orders it: what a manager or a viewer sees, then an admin.
STAFF_NAV = ["Overview", "Emails", "Campaigns", "Templates", "Lists", "Tasks", "Suppressions",
             "Keys", "Webhooks"]
ADMIN_NAV = STAFF_NAV + ["Users", "Audit", "Settings"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def server(outbox, smtp_server):
    """outbox delivering to aiosmtpd, with a known admin password."""
    smtp = smtp_server()
    ob = outbox(*smtp.smtp_args(), "--admin-password", ADMIN_PASSWORD,
                "--default-from", SENDER)
    ob.smtp = smtp
    return ob


class Browser:
    """One headless chromium with its console log, at a size and a colour scheme."""

    def __init__(self, base_url, shots_folder):
        if webdriver is None:
            pytest.fail("python3-selenium is missing: sh packaging/install-deps.sh --test",
                        pytrace=False)
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                pytest.fail(f"{path} is missing: sh packaging/install-deps.sh --test",
                            pytrace=False)
        options = Options()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--disable-extensions",
                         "--no-first-run", "--lang=en-GB"):
            options.add_argument(argument)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")  # chromium refuses to run as root otherwise
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.base_url = base_url
        self.shots_folder = shots_folder
        self.expected = []  # (url part, status) of errors a test provokes on purpose
        self.logs = []

    # -- navigation and finding

    def open(self, fragment=""):
        self.driver.get(self.base_url + "/" + (f"#{fragment}" if fragment else ""))

    def wait(self, condition, timeout=WAIT, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(
            condition, message)

    def find(self, css, timeout=WAIT):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout,
                         f"{css} to be visible")

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def button(self, text, timeout=WAIT):
        xpath = f"//main//*[(self::button or self::a) and normalize-space()='{text}']"
        return self.wait(EC.element_to_be_clickable((By.XPATH, xpath)), timeout,
                         f"a {text!r} button")

    def buttons(self):
        """The labels of every button or button-styled link in the main area."""
        return [b.text.strip() for b in self.all("main button, main a.button") if b.is_displayed()]

    def heading(self, text, timeout=WAIT):
        self.wait(lambda d: self.text_of("main h1") == text, timeout, f"heading {text!r}")

    def text_of(self, css):
        found = self.all(css)
        return found[0].text.strip() if found else None

    def has_text(self, text, timeout=WAIT):
        self.wait(lambda d: text in d.find_element(By.TAG_NAME, "body").text, timeout,
                  f"text {text!r} on the page")

    def sign_in(self, email, password):
        email_box = self.find("input[name=email]")
        email_box.clear()
        email_box.send_keys(email)
        password_box = self.find("input[name=password]")
        password_box.clear()
        password_box.send_keys(password)
        password_box.submit()

    def nav(self):
        return [a.text.strip() for a in self.all("header nav a")]

    def go(self, title):
        self.wait(EC.element_to_be_clickable(
            (By.XPATH, f"//header//nav//a[normalize-space()='{title}']"))).click()
        self.heading(title)

    # -- console

    def expect_error(self, url_part, status):
        """A failed request the test provokes: its console entry is not a failure."""
        self.expected.append((url_part, status))

    def collect_logs(self):
        try:
            self.logs.extend(self.driver.get_log("browser"))
        except WebDriverException:
            pass

    def severe(self):
        self.collect_logs()
        bad = []
        for entry in self.logs:
            if entry.get("level") != "SEVERE":
                continue
            message = entry.get("message", "")
            if any(part in message and f"status of {status}" in message
                   for part, status in self.expected):
                continue
            bad.append(message)
        return bad

    # -- pictures

    def settle(self):
        """Two animation frames: layout, the chart's resize and the paint are done."""
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")

    def assert_fits(self, name, width):
        """At `width` px the page needs no sideways scrolling (it must work from 360 px)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": True})
        self.settle()
        wide = self.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} is {wide} px wider than a {width} px screen"
        width, height = SIZES["phone"]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        self.settle()

    def shoot(self, name):
        """The page now, light and dark, desktop and phone, whole height."""
        try:
            for scheme in ("light", "dark"):
                self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                    "features": [{"name": "prefers-color-scheme", "value": scheme}]})
                for size, (width, height) in SIZES.items():
                    self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                        "width": width, "height": height, "deviceScaleFactor": 1,
                        "mobile": size == "phone"})
                    self.settle()
                    if size == "phone":
                        self.assert_fits(name, 360)
                    shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True})
                    path = os.path.join(self.shots_folder, f"{name}-{scheme}-{size}.png")
                    with open(path, "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
            self.settle()

    def close(self):
        self.collect_logs()
        self.driver.quit()


@pytest.fixture
def browsers(shots):
    """Factory: browsers(outbox process) -> a new Browser on it. Each fails its test on SEVERE
    console entries (checked at the end of the test, after what the test asserted)."""
    made = []

    def make(ob):
        browser = Browser(ob.url, shots)
        made.append(browser)
        return browser

    yield make
    problems = []
    for browser in made:
        problems += browser.severe()
        browser.close()
    assert not problems, "SEVERE browser console entries:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- helpers


def refusing_first(count, reply="550 5.1.1 no such user"):
    """An SMTP policy (RecordingSMTPServer's) that refuses the first `count` messages."""
    left = [count]

    def policy(envelope, index):
        if left[0] > 0:
            left[0] -= 1
            return reply
        return "250 OK"
    return policy


def create_person(ob, email, role):
    r = ob.api("POST", "/v1/users", json={"email": email, "password": PASSWORD, "role": role})
    assert r.status == 201, r
    return r.body["user"]


def import_customers(ob, count):
    lines = ["email,name"] + [f"c{i}@example.test,Customer {i}" for i in range(count)]
    r = ob.api("POST", "/v1/customers/import", data="\n".join(lines) + "\n",
               headers={"Content-Type": "text/csv"})
    assert r.status == 202, r

    def done():
        answer = ob.api("GET", f"/v1/customers/import/{r.body['id']}")
        return answer.body if answer.body["status"] != "running" else None
    report = wait_for(done, 30, interval=0.05, message="the customer import")
    assert report["created"] == count, report


def signed_in(browsers, server, email, password, heading="Overview"):
    browser = browsers(server)
    browser.open()
    # No session yet: the page asks GET /v1/auth/session, which answers 401.
    browser.expect_error("/v1/auth/session", 401)
    browser.sign_in(email, password)
    browser.heading(heading)
    return browser
