import Foundation
import Testing

@testable import EventData

@Suite("Format presets and detection")
struct PresetTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    private static let rating = Event(userID: "196", timestamp: 881_250_949_000, type: .rating, itemID: "242", value: 3)

    @Test("MovieLens u.data: tab-separated user item rating timestamp, no header")
    func movieLensUData() throws {
        let path = try files.write("u.data", "196\t242\t3\t881250949\n186\t302\t3.5\t891717742\n")
        #expect(try EventFileReader.detectFormat(path: path) == .movielens)
        let rows = try files.rows(path)
        #expect(rows.first?.event == Self.rating)
        #expect(rows.map(\.line) == [1, 2])
        #expect(rows[1].event?.value == 3.5)
    }

    @Test("MovieLens ratings.dat: '::'-separated")
    func movieLensDat() throws {
        let path = try files.write("ratings.dat", "196::242::3::881250949\n1::2::x::3\n")
        let rows = try files.rows(path)
        #expect(rows.first?.event == Self.rating)
        #expect(rows[1].rejection?.kind == "bad_number")
        #expect(rows[1].rejection?.reason == "value 'x' (column 'rating') is not a number")
    }

    @Test("MovieLens ratings.csv: header userId,movieId,rating,timestamp (also gzip-compressed)")
    func movieLensCSV() throws {
        let text = "userId,movieId,rating,timestamp\n196,242,3.0,881250949\n"
        #expect(try files.rows(try files.write("ratings.csv", text)).first?.event == Self.rating)
        let compressed = try files.writeGzip("ratings.csv.gz", members: [text])
        #expect(try EventFileReader.detectFormat(path: compressed) == .movielens)
        #expect(try files.rows(compressed).first?.event == Self.rating)
        // Any other ratings.csv is plain CSV.
        let other = try files.write("ratings.csv", "user_id,timestamp,event_type\nu,1,view\n")
        #expect(try EventFileReader.detectFormat(path: other) == .csv)
    }

    @Test("MovieLens chosen by name for a file with another name: the variant is sniffed")
    func movieLensSniffed() throws {
        let dat = try files.write("my-ratings.txt", "196::242::3::881250949\n")
        #expect(try files.rows(dat, format: .movielens).first?.event == Self.rating)
        let tabbed = try files.write("my-ratings.tsv", "196\t242\t3\t881250949\n")
        #expect(try files.rows(tabbed, format: .movielens).first?.event == Self.rating)
    }

    @Test("RecBole .inter: name:type header, rating as value, other columns as properties")
    func recBoleWithRating() throws {
        let path = try files.write(
            "ml-100k.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\treview:token_seq\n"
                + "196\t242\t3\t881250949\t\"great\" film\n")
        #expect(try EventFileReader.detectFormat(path: path) == .recbole)
        let event = try #require(try files.rows(path).first?.event)
        #expect(
            event
                == Event(
                    userID: "196", timestamp: 881_250_949_000, type: .rating, itemID: "242", value: 3,
                    properties: ["review": "\"great\" film"]))
    }

    @Test("RecBole .inter without a rating column gives interaction events")
    func recBoleWithoutRating() throws {
        let path = try files.write(
            "seq.inter", "session_id:token\tuser_id:token\titem_id:token\ttimestamp:float\ns1\tu1\ti1\t1700000000.5\n")
        let event = try #require(try files.rows(path).first?.event)
        #expect(
            event
                == Event(userID: "u1", timestamp: 1_700_000_000_500, type: "interaction", itemID: "i1", sessionID: "s1")
        )
    }

    @Test("user-item text: timestamps are each user's running position")
    func userItem() throws {
        let path = try files.write("sequences.txt", "u1 i1\nu2\ti9\n\nu1  i2\nu1 i3 extra\nu1 i4\n")
        #expect(try EventFileReader.detectFormat(path: path) == .userItem)
        let rows = try files.rows(path)
        #expect(rows.count == 5)
        #expect(
            rows.compactMap { $0.event.map { [$0.userID, $0.itemID ?? "", String($0.timestamp)] } } == [
                ["u1", "i1", "0"], ["u2", "i9", "0"], ["u1", "i2", "1"], ["u1", "i4", "2"],
            ])
        #expect(rows[3].rejection?.kind == "wrong_column_count")
        #expect(rows[3].line == 5)
        #expect(rows[0].event?.type.rawValue == "interaction")
        let mapped = eventDataError {
            _ = try files.rows(path, format: .userItem, mapping: ColumnMapping(columns: [.userID: "1"]))
        }
        #expect(mapped?.errorDescription?.contains("no columns to map") == true)
    }

    @Test("formats are detected from names first, then from the first line")
    func detection() throws {
        let cases: [(String, String, LogFormat)] = [
            ("a.jsonl", "", .jsonl),
            ("a.ndjson.gz", "", .jsonl),
            ("a.inter", "", .recbole),
            ("b.tsv", "user_id\ttimestamp\n", .tsv),
            ("b.csv", "user_id,timestamp\n", .csv),
            ("c.log", "\n{\"user_id\": 1}\n", .jsonl),
            ("c.txt", "user_id:token\titem_id:token\n", .recbole),
            ("d.txt", "user_id\ttimestamp\tevent_type\n", .tsv),
            ("e.txt", "1::2::3::4\n", .movielens),
            ("f.txt", "user_id,timestamp\n", .csv),
            ("g.txt", "u1 i1\n", .userItem),
            ("h.txt", "u1\ti1\n", .userItem),
        ]
        for (name, text, expected) in cases {
            let path = try files.write(name, text)
            #expect(try EventFileReader.detectFormat(path: path) == expected, "\(name)")
        }
        let unknown = try files.write("x.bin", "just some words here\n")
        let error = eventDataError { _ = try EventFileReader.detectFormat(path: unknown) }
        #expect(error?.errorDescription?.contains("the format cannot be told from the name or the first line") == true)
        let attributes = try files.write("ml.user", "user_id:token\tage:token\n1\t24\n")
        let attributeError = eventDataError { _ = try EventFileReader.open(path: attributes) }
        #expect(attributeError?.errorDescription?.contains("attribute table") == true)
    }

    @Test("format names are read as written in flags")
    func formatNames() {
        #expect(LogFormat(parsing: "user_item") == .userItem)
        #expect(LogFormat(parsing: "NDJSON") == .jsonl)
        #expect(LogFormat(parsing: "MovieLens") == .movielens)
        #expect(LogFormat(parsing: "parquet") == nil)
        #expect(LogFormat.allCases.map(\.rawValue) == ["csv", "tsv", "jsonl", "movielens", "recbole", "user-item"])
    }
}
