import FileIO
import Testing

@Suite("CSV text")
struct CSVTextTests {
    @Test("fields are quoted only when they need it, quotes doubled")
    func quoting() {
        #expect(CSVText.field("plain") == "plain")
        #expect(CSVText.field("a,b") == "\"a,b\"")
        #expect(CSVText.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVText.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVText.line(["x", "y,z", ""]) == "x,\"y,z\",\n")
    }

    @Test("numbers are written whole when whole, otherwise in the shortest exact form")
    func numbers() {
        #expect(CSVText.number(3) == "3")
        #expect(CSVText.number(-0.25) == "-0.25")
        #expect(CSVText.number(1e300) == "1e+300")
        #expect(CSVText.number(0.1) == "0.1")
    }
}
